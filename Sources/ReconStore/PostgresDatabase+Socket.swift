import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// The job's own TCP socket to the server, handed to postgres-nio.
extension PostgresDatabase {
    /// A connection of `configuration` (host and port) over a socket of `openSocket`'s.
    static func open(_ configuration: PostgresConnection.Configuration, id: Int,
                             logger: Logger) async throws -> PostgresConnection {
        guard let host = configuration.host, let port = configuration.port else {
            return try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        }
        let channel: any Channel
        do {
            channel = try await openSocket(host: host, port: port, timeout: configuration.options.connectTimeout)
        } catch {
            throw NoConnection(reason: "\(error)")
        }
        var established = PostgresConnection.Configuration(establishedChannel: channel, tls: configuration.tls,
                                                           username: configuration.username,
                                                           password: configuration.password, database: configuration.database)
        established.options = configuration.options
        // The name TLS verifies, as postgres-nio gives it for a host it connects to itself (an
        // address is no name).
        if established.options.tlsServerName == nil, (try? SocketAddress(ipAddress: host, port: port)) == nil {
            established.options.tlsServerName = host
        }
        do {
            return try await PostgresConnection.connect(on: channel.eventLoop, configuration: established, id: id, logger: logger)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// A TCP socket to the server with keepalive probes and a limit on unacknowledged data:
    /// a server that goes away without a word (its host powered off, the network cut, a
    /// failover that moves the address) during a statement is noticed within about a minute,
    /// where the job waited for its answer without end (exit 69 instead of a hang, SPEC §6).
    /// postgres-nio sets neither (its pool pings, a single connection does not), so the socket
    /// is opened here and handed to it.
    /// (The timings are Linux's options; elsewhere the system's keepalive timings apply.)
    static func openSocket(host: String, port: Int, timeout: TimeAmount) async throws -> any Channel {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ReadDemandGate()) }
            }
        #if os(Linux)
        let tcp = SocketOptionLevel(IPPROTO_TCP)
        bootstrap = bootstrap
            .channelOption(.socket(tcp, SocketOptionName(TCP_KEEPIDLE)), value: keepalive.idleSeconds)
            .channelOption(.socket(tcp, SocketOptionName(TCP_KEEPINTVL)), value: keepalive.intervalSeconds)
            .channelOption(.socket(tcp, SocketOptionName(TCP_KEEPCNT)), value: keepalive.probes)
            .channelOption(.socket(tcp, SocketOptionName(TCP_USER_TIMEOUT)), value: keepalive.unacknowledgedMilliseconds)
        #endif
        return try await bootstrap.connect(host: host, port: port).get()
    }

    /// A socket that could not be opened, with the system's reason.
    struct NoConnection: Error, CustomStringConvertible {
        let reason: String
        var description: String { "no connection: \(reason)" }
    }

    /// A connection silent for 10 s is probed every 5 s, and given up once probes or data have
    /// gone unanswered for 60 s (the limit also bounds how long Linux lets a server advertise
    /// no room for more data: a minute, well past any stall of a working server).
    static let keepalive = (idleSeconds: SocketOptionValue(10), intervalSeconds: SocketOptionValue(5), probes: SocketOptionValue(3),
                            unacknowledgedMilliseconds: SocketOptionValue(60_000))
}
