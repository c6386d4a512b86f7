import NIOCore
import NIOEmbedded
import Testing
@testable import ReconStore

/// `ReadDemandGate`'s rules, event by event: data passes in a read cycle that a read asked for,
/// what comes unasked is kept and dropped when the connection ends, and a read asked for
/// during a cycle answers the next one (NIO keeps it pending: no other read comes).
@Suite struct ReadDemandGateTests {
    /// Counts the reads that reach the socket.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    /// What the reader after the gate (postgres-nio) is handed; it may ask for a read while it
    /// reads, as a reader may.
    final class Reader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var received: [String] = []
        var completes = 0
        var asksWhileReading = false
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received.append(String(buffer: unwrapInboundIn(data)))
            if asksWhileReading {
                asksWhileReading = false
                context.read()
            }
        }
        func channelReadComplete(context: ChannelHandlerContext) { completes += 1 }
    }

    func channel() throws -> (EmbeddedChannel, ReadCounter, Reader) {
        let counter = ReadCounter(), reader = Reader()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([counter, ReadDemandGate(), reader])
        return (channel, counter, reader)
    }

    @Test func dataPassesOnlyInAReadCycleAskedFor() throws {
        let (channel, counter, reader) = try channel()
        channel.read()
        try channel.writeInbound(ByteBuffer(string: "asked"))
        #expect(reader.received == ["asked"] && reader.completes == 1 && counter.reads == 1)
        // A closing socket drained unasked: kept, and its end of cycle said to nobody.
        try channel.writeInbound(ByteBuffer(string: "unasked"))
        #expect(reader.received == ["asked"] && reader.completes == 1)
        _ = try channel.finish()
        #expect(reader.received == ["asked"], "dropped with the connection")
    }

    @Test func aReadAskedForDuringACycleAnswersTheNext() throws {
        let (channel, counter, reader) = try channel()
        reader.asksWhileReading = true
        channel.read()
        try channel.writeInbound(ByteBuffer(string: "first"))
        #expect(counter.reads == 2)
        // NIO reads again for the pending read without another read event.
        try channel.writeInbound(ByteBuffer(string: "second"))
        #expect(reader.received == ["first", "second"] && reader.completes == 2)
    }

    @Test func whatWasKeptAnswersTheNextReadWhileTheConnectionLives() throws {
        let (channel, counter, reader) = try channel()
        try channel.writeInbound(ByteBuffer(string: "early"))
        #expect(reader.received.isEmpty)
        channel.read()
        #expect(reader.received.isEmpty, "on the next tick, not inside the read")
        channel.embeddedEventLoop.run()
        #expect(reader.received == ["early"] && reader.completes == 1 && counter.reads == 0)
        channel.read()
        try channel.writeInbound(ByteBuffer(string: "later"))
        #expect(reader.received == ["early", "later"] && counter.reads == 1)
    }
}
