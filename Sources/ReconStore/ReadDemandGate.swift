import NIOCore

/// Holds back what the socket delivers unasked, so that postgres-nio never sees it.
///
/// postgres-nio reads the rows of a statement only as fast as the job takes them: with rows
/// waiting, it asks the socket for nothing more. But a socket whose peer closed it (a server
/// stopped, its host gone) delivers all it still holds, and the end, without being asked, and
/// postgres-nio 1.33 stops the process on that (`RowStreamStateMachine`: "How can we receive a
/// body part, after a channelReadComplete, but no read has been forwarded yet"): exit 132 and
/// the waiting rows, addresses among them, printed on stderr, where the job should exit 69 with
/// one line. No version of postgres-nio here handles it, so this handler, first in the pipeline,
/// passes data on only in answer to a read asked for, and keeps the rest until the next one.
/// A connection whose peer is gone drops what it kept: the statement then fails as a lost
/// connection. A working connection never delivers unasked, so it passes everything through.
final class ReadDemandGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A read was asked for and not yet answered by a read cycle.
    private var asked = false
    /// Data was passed on since the last `channelReadComplete`.
    private var passedOn = false
    /// What arrived unasked, in order.
    private var kept: [NIOAny] = []
    private var closed = false

    func read(context: ChannelHandlerContext) {
        asked = true
        guard kept.isEmpty else {
            // Answered from what was kept, on the next tick: the reader asked from inside its
            // own handling, which an event fired now would re-enter.
            context.eventLoop.assumeIsolated().execute { [self] in deliverKept(context: context) }
            return
        }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard asked, kept.isEmpty else {
            kept.append(data)
            return
        }
        passedOn = true
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard passedOn else { return }
        passedOn = false
        asked = false
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
        for data in delivered { context.fireChannelRead(data) }
        asked = false
        context.fireChannelReadComplete()
    }
}
