import NIOCore

/// Holds back what the socket delivers unasked, so that postgres-nio never sees it.
///
/// postgres-nio reads the rows of a statement only as fast as the job takes them: with rows
/// waiting, it asks the socket for nothing more. But a socket whose peer closed it (a server
/// stopped, its host gone) hands on all it still holds without being asked, as NIO drains it
/// before it closes the channel, and postgres-nio 1.33 stops the process on that
/// (`RowStreamStateMachine`: "How can we receive a body part, after a channelReadComplete, but
/// no read has been forwarded yet"): exit 132 and the waiting rows, addresses among them,
/// printed on stderr, where the job should exit 69 with one line. No version of postgres-nio
/// here handles it, so this handler, first in the pipeline, passes data on only in a read cycle
/// that a read asked for, and keeps what comes outside one. NIO delivers unasked only while it
/// drains a closing socket and then ends the channel, which drops what was kept: the statement
/// fails as a lost connection. On a working connection everything passes through.
final class ReadDemandGate: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A read was asked for and no read cycle has begun to answer it. A read asked for during a
    /// cycle (NIO keeps it pending for the next one) stays asked for after the cycle ends.
    private var asked = false
    /// A read cycle that a read asked for is under way: its data passes.
    private var inCycle = false
    /// What arrived unasked, in order.
    private var kept: [NIOAny] = []
    private var closed = false

    func read(context: ChannelHandlerContext) {
        asked = true
        guard kept.isEmpty else {
            // Should a connection live on after handing on data unasked, the read is answered
            // by what was kept, on the next tick: the reader asked from inside its own handling,
            // which an event fired now would re-enter. A read it asks for then goes to the socket.
            context.eventLoop.assumeIsolated().execute { [self] in deliverKept(context: context) }
            return
        }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard inCycle || (asked && kept.isEmpty) else {
            kept.append(data)
            return
        }
        inCycle = true
        asked = false
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard inCycle else { return }
        inCycle = false
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        kept.removeAll()
        context.fireChannelInactive()
    }

    private func deliverKept(context: ChannelHandlerContext) {
        guard !closed, asked, !kept.isEmpty else { return }
        let delivered = kept
        kept.removeAll()
        asked = false
        for data in delivered { context.fireChannelRead(data) }
        context.fireChannelReadComplete()
    }
}
