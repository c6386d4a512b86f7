// The relay below is written with Linux's sockets, the product's platform.
#if canImport(Glibc)
import Foundation
import Glibc
import Logging
import Synchronization
import Testing
import ReconStore
import ReconTestSupport

/// Connections to PostgreSQL that cannot be made or are lost: the job says why, and exits 69.
@Suite struct PostgresConnectionTests {
    /// A connection that ends while a statement's rows wait to be read: the server stopped, or
    /// its host went away. postgres-nio 1.33 used to stop the whole process there (exit 132,
    /// the waiting rows printed on stderr), where the job must fail with a lost store.
    @Test func aConnectionEndingWhileRowsWaitFailsTheStatementWithoutStoppingTheProcess() async throws {
        guard TestStore.available.contains(.postgres) else { return }
        let url = try #require(TestStore.serverURL)
        let server = try #require(URLComponents(string: url))
        let relay = try CuttableRelay(to: try #require(server.port))
        defer { relay.stop() }
        var proxied = server
        proxied.port = relay.port
        let database = try await PostgresDatabase.connect(url: try #require(proxied.string), password: nil,
                                                          logger: Logger(label: "test"))
        let read = Mutex(0)
        let failure = await #expect(throws: StoreError.self) {
            try await database.read { db in
                try await db.forEachRow("SELECT repeat('x', 2000) FROM generate_series(1, 100000)", []) { _ in
                    guard read.withLock({ $0 += 1; return $0 }) == 1 else { return }
                    // The rows pile up unread until postgres-nio asks for none and the socket's
                    // buffers are full; then the connection ends behind them.
                    Thread.sleep(forTimeInterval: 1)
                    relay.cut()
                    Thread.sleep(forTimeInterval: 1)
                }
            }
        }
        #expect(failure?.code == .unavailable, "\(String(describing: failure))")
        #expect(read.withLock { $0 } < 100_000, "the statement ended early")
        await database.close()
    }

    /// `sslmode=require` against a server without TLS says so, where it said "sslUnsupported".
    @Test func aServerWithoutTLSIsNamedAsSuch() async throws {
        guard TestStore.available.contains(.postgres) else { return }
        let url = try #require(TestStore.serverURL)
        let refused = await #expect(throws: StoreError.self) {
            try await PostgresDatabase.connect(url: url + "?sslmode=require", password: nil, logger: Logger(label: "test"))
        }
        #expect(refused?.code == .unavailable)
        #expect(refused?.message.contains("the server does not offer TLS, which the URL's sslmode requires") == true,
                "\(String(describing: refused))")
    }
}

/// A TCP relay on loopback to the test server, whose connections can be ended at once: the
/// client gets what was sent to it so far, then the end of the stream, as from a server that
/// stopped.
final class CuttableRelay: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var pairs: [(client: Int32, server: Int32)] = []
    private var stopped = false

    init(to upstream: Int) throws {
        let listening = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listening, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listening, 8) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listening, $0, &length) }
        }
        listener = listening
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in accept(forwardingTo: upstream) }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func accept(forwardingTo upstream: Int) {
        while true {
            let client = Glibc.accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: UInt16(upstream))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(server); continue }
            lock.withLock { pairs.append((client, server)) }
            Thread.detachNewThread { Self.pump(from: client, to: server) }
            Thread.detachNewThread { Self.pump(from: server, to: client) }
        }
    }

    private static func pump(from source: Int32, to target: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(source, &buffer, buffer.count)
            guard count > 0 else { return }
            var sent = 0
            while sent < count {
                let written = buffer[sent..<count].withUnsafeBytes { write(target, $0.baseAddress, $0.count) }
                guard written > 0 else { return }
                sent += written
            }
        }
    }

    /// Ends every connection: the server's side closed, the client's given the end of the stream
    /// after what it was sent.
    func cut() {
        lock.withLock {
            for pair in pairs {
                shutdown(pair.server, Int32(SHUT_RDWR))
                shutdown(pair.client, Int32(SHUT_WR))
            }
        }
    }

    func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
            for pair in pairs {
                shutdown(pair.client, Int32(SHUT_RDWR))
                shutdown(pair.server, Int32(SHUT_RDWR))
            }
        }
    }
}
#endif
