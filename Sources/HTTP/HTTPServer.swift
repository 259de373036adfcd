import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 server on POSIX sockets and Dispatch.
///
/// It accepts connections, enforces the limits in ``Configuration``, and passes each
/// complete request to an ``HTTPResponder``. Sockets are non-blocking and
/// event-driven: each connection is a small state machine on its own serial queue
/// (see `Connection`), and those queues share a few event-loop queues (one per
/// core by default), so thousands of idle or slow clients cost memory, not threads,
/// and the responder may take seconds without holding up any I/O.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(host: "0.0.0.0", port: 8080), responder: app)
/// try server.start()
/// let signals = server.shutdownOnSignals()
/// await server.waitUntilStopped()
/// ```
public final class HTTPServer: @unchecked Sendable {
    private enum State {
        case idle
        case running
        case draining
        case stopped
    }

    /// How long accepting pauses when the process runs out of file descriptors;
    /// retrying at once would spin, since the pending connection stays pending.
    private static let acceptBackoff = DispatchTimeInterval.milliseconds(100)
    /// Connections accepted per readiness event before yielding the queue.
    private static let acceptsPerEvent = 64

    public let configuration: Configuration
    private let responder: any HTTPResponder
    private let eventLoops: [DispatchQueue]
    /// Guards everything below.
    private let queue = DispatchQueue(label: "http.server")
    private var state = State.idle
    private var tlsContext: TLSContext?
    private var listener: Int32 = -1
    private var boundPort: Int?
    private var acceptSource: DispatchSourceRead?
    private var acceptPaused = false
    /// Whether the listening socket is still open; shutdown waits for it to close so
    /// that, once it returns, new connections are refused.
    private var listening = false
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var connectionsAccepted = 0

    public init(configuration: Configuration = Configuration(), responder: some HTTPResponder) {
        self.configuration = configuration
        self.responder = responder
        self.eventLoops = (0..<configuration.eventLoopCount).map { DispatchQueue(label: "http.event-loop.\($0)") }
    }

    /// The port the server listens on once started (the one the system chose when
    /// the configuration asked for port 0).
    public var port: Int? {
        queue.sync { boundPort }
    }

    /// The number of open client connections.
    public var connectionCount: Int {
        queue.sync { connections.count }
    }

    /// Loads the TLS certificate if configured, binds, listens and starts accepting
    /// connections. A started server stays alive until ``shutdown(grace:)``, even if
    /// no reference to it is kept.
    /// - Returns: the bound port.
    /// - Throws: ``TLSError`` if the certificate or key cannot be used, ``SocketError``
    ///   if the address cannot be bound.
    @discardableResult
    public func start() throws -> Int {
        let result: Result<Int, any Error> = queue.sync {
            precondition(state == .idle, "HTTPServer.start() may be called once")
            let fd: Int32
            do {
                tlsContext = try configuration.tls.map(TLSContext.init)
                fd = try Socket.makeListener(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
            } catch {
                return .failure(error)
            }
            listener = fd
            boundPort = Socket.localPort(fd)
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            // The source holds the server: a started server lives until it is shut down.
            source.setEventHandler { [self] in acceptConnections() }
            source.setCancelHandler { [self] in
                Socket.closeDescriptor(fd)
                listening = false
                finishIfDrained()
            }
            source.resume()
            acceptSource = source
            listening = true
            state = .running
            return .success(boundPort!)
        }
        return try result.get()
    }

    /// Stops gracefully: stops accepting, closes idle keep-alive connections, lets
    /// requests in flight finish and be answered (with `Connection: close`), then
    /// returns. Connections still open after `grace` are closed regardless.
    public func shutdown(grace: Duration = .seconds(10)) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                stopWaiters.append(continuation)
                switch state {
                case .idle:
                    state = .stopped
                    finishIfDrained()
                case .running:
                    state = .draining
                    stopAccepting()
                    for connection in connections.values {
                        connection.drain()
                    }
                    queue.asyncAfter(deadline: .now() + grace.dispatchInterval) { [self] in
                        guard state == .draining else { return }
                        for connection in connections.values {
                            connection.forceClose()
                        }
                    }
                    finishIfDrained()
                case .draining, .stopped:
                    finishIfDrained()
                }
            }
        }
    }

    /// Returns once the server has stopped (after ``shutdown(grace:)`` completes).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                stopWaiters.append(continuation)
                if state == .stopped {
                    finishIfDrained()
                }
            }
        }
    }

    // MARK: - Accepting

    private func acceptConnections() {
        for _ in 0..<Self.acceptsPerEvent {
            guard state == .running else { return }
            switch Socket.acceptConnection(listener) {
            case .accepted(let fd, let remoteAddress):
                admit(fd, remoteAddress: remoteAddress)
            case .wouldBlock:
                return
            case .failed(let code) where code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM:
                pauseAccepting()
                return
            case .failed:
                continue  // ECONNABORTED and the like concern that one connection only.
            }
        }
    }

    private func admit(_ fd: Int32, remoteAddress: String) {
        guard connections.count < configuration.maxConnections else {
            refuse(fd)
            return
        }
        let transport: any Transport
        if let tlsContext {
            guard let tls = TLSTransport(context: tlsContext, fileDescriptor: fd) else {
                Socket.closeDescriptor(fd)
                return
            }
            transport = tls
        } else {
            transport = SocketTransport(fileDescriptor: fd)
        }
        connectionsAccepted += 1
        let connection = Connection(
            transport: transport,
            eventLoop: eventLoops[connectionsAccepted % eventLoops.count],
            remoteAddress: remoteAddress,
            configuration: configuration,
            responder: responder,
            onClosed: { [weak self] connection in
                guard let self else { return }
                queue.async { self.connectionClosed(connection) }
            }
        )
        connections[ObjectIdentifier(connection)] = connection
        connection.start()
    }

    /// Over the connection cap: a best-effort 503 and an immediate close, without
    /// waiting on the client. What the client already sent is read first, since
    /// closing over unread input resets the connection and loses the response.
    /// A TLS client is just closed: answering would take a whole handshake.
    private func refuse(_ fd: Int32) {
        let transport = SocketTransport(fileDescriptor: fd)
        guard tlsContext == nil else {
            transport.close()
            return
        }
        withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 1) { scratch in
            for _ in 0..<4 {
                guard case .transferred = transport.read(into: scratch) else { break }
            }
        }
        if let bytes = ResponseSerializer.serialize(HTTPError.serverBusy.response, headOnly: false, persistence: .close) {
            _ = bytes.withUnsafeBytes { transport.write($0) }
        }
        transport.close()
    }

    private func pauseAccepting() {
        guard let acceptSource, !acceptPaused else { return }
        acceptSource.suspend()
        acceptPaused = true
        queue.asyncAfter(deadline: .now() + Self.acceptBackoff) { [self] in
            guard acceptPaused, state == .running else { return }
            acceptPaused = false
            self.acceptSource?.resume()
        }
    }

    private func stopAccepting() {
        guard let acceptSource else { return }
        acceptSource.cancel()
        if acceptPaused {
            acceptPaused = false
            acceptSource.resume()
        }
        self.acceptSource = nil
    }

    // MARK: - Stopping

    private func connectionClosed(_ connection: Connection) {
        connections[ObjectIdentifier(connection)] = nil
        finishIfDrained()
    }

    private func finishIfDrained() {
        if state == .draining && connections.isEmpty && !listening {
            state = .stopped
        }
        guard state == .stopped else { return }
        let waiters = stopWaiters
        stopWaiters = []
        for waiter in waiters {
            waiter.resume()
        }
    }
}
