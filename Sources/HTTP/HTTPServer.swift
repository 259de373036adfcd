import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 server on POSIX sockets and Dispatch.
///
/// It accepts connections, enforces the limits in ``Configuration``, and passes each
/// complete request to an ``HTTPResponder``. Sockets are non-blocking and
/// event-driven: one poller thread (``ReadinessPoller``, epoll) forwards readiness to
/// each connection, a small state machine on its own serial queue (see `Connection`),
/// and those queues share a few event-loop queues (one per core by default), so
/// thousands of idle or slow clients cost memory, not threads, and the responder may
/// take seconds without holding up any I/O.
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
        /// A graceful shutdown began: still accepting (for the announcement period),
        /// every response says `Connection: close`.
        case announcing
        /// Not accepting any more; waiting for the connections to finish.
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
    /// Socket readiness for the connections, from `start` until the server stops.
    private var poller: ReadinessPoller?
    private var acceptPaused = false
    /// Whether the listening socket is still open; shutdown waits for it to close so
    /// that, once it returns, new connections are refused.
    private var listening = false
    private var connections: [ObjectIdentifier: Connection] = [:]
    /// Open connections per client address, for `maxConnectionsPerAddress`.
    private var connectionsPerHost: [String: Int] = [:]
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

    /// The sockets the poller watches: every open connection's, and no closed one's.
    var watchedSocketCount: Int {
        queue.sync { poller?.registrationCount ?? 0 }
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
                poller = try ReadinessPoller()
                fd = try Socket.makeListener(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
            } catch {
                poller?.stop()
                poller = nil
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

    /// Stops gracefully, in three phases, and returns when every connection is closed:
    /// 1. For `announce`, the server keeps accepting and answering, so a load balancer
    ///    polling readiness (which the application answers 503 by then) sees the
    ///    drain and stops sending, rather than learning of it from refused
    ///    connections. Every response from now on says `Connection: close`, so no
    ///    client reuses a connection that is about to close.
    /// 2. Then it accepts what is still in the kernel's backlog (answered, not
    ///    reset), closes the listener, and closes idle keep-alive connections after
    ///    reading anything their client already sent. Requests in flight finish.
    /// 3. Connections still open `grace` after that are closed, a request still with
    ///    the responder getting a 503 first.
    public func shutdown(announce: Duration = .zero, grace: Duration = .seconds(10)) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                stopWaiters.append(continuation)
                switch state {
                case .idle:
                    state = .stopped
                    finishIfDrained()
                case .running:
                    state = .announcing
                    for connection in connections.values {
                        connection.drain()
                    }
                    queue.asyncAfter(deadline: .now() + announce.dispatchInterval) { [self] in
                        stopAccepting(grace: grace)
                    }
                case .announcing, .draining, .stopped:
                    finishIfDrained()
                }
            }
        }
    }

    /// The second phase of ``shutdown(announce:grace:)``.
    private func stopAccepting(grace: Duration) {
        guard state == .announcing else { return }
        acceptBacklog()
        state = .draining
        stopAccepting()
        for connection in connections.values {
            connection.closeIfIdle()
        }
        queue.asyncAfter(deadline: .now() + grace.dispatchInterval) { [self] in
            guard state == .draining else { return }
            for connection in connections.values {
                connection.forceClose()
            }
        }
        finishIfDrained()
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
            guard state == .running || state == .announcing, acceptOne() else { return }
        }
    }

    /// Accepts every connection already in the kernel's backlog, so that closing the
    /// listener resets none of them; each is answered (and closed after).
    private func acceptBacklog() {
        // The backlog holds at most `backlog` connections (the kernel may round up);
        // the bound only guards against a flood arriving faster than it is drained.
        for _ in 0..<(Int(configuration.backlog) * 2 + Self.acceptsPerEvent) {
            guard acceptOne() else { return }
        }
    }

    /// Accepts and admits one connection; `false` when there is none to accept now.
    private func acceptOne() -> Bool {
        switch Socket.acceptConnection(listener) {
        case .accepted(let fd, let host, let remoteAddress):
            admit(fd, host: host, remoteAddress: remoteAddress)
            return true
        case .wouldBlock:
            return false
        case .failed(let code) where code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM:
            pauseAccepting()
            return false
        case .failed:
            return true  // ECONNABORTED and the like concern that one connection only.
        }
    }

    private func admit(_ fd: Int32, host: String, remoteAddress: String) {
        guard let poller else {
            Socket.closeDescriptor(fd)
            return
        }
        guard connectionsPerHost[host, default: 0] < configuration.maxConnectionsPerAddress else {
            refuse(fd, with: .tooManyFromAddress)
            return
        }
        guard connections.count < configuration.maxConnections || evictLongestIdle() else {
            refuse(fd, with: .serverBusy)
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
            poller: poller,
            host: host,
            remoteAddress: remoteAddress,
            configuration: configuration,
            responder: responder,
            onClosed: { [weak self] connection in
                guard let self else { return }
                queue.async { self.connectionClosed(connection) }
            }
        )
        connections[ObjectIdentifier(connection)] = connection
        connectionsPerHost[host, default: 0] += 1
        connection.start(draining: state != .running)
    }

    /// At the connection cap: closes the keep-alive connection idle the longest, to
    /// make room for a new one, so idle clients cannot keep newcomers out. Returns
    /// whether there was one. The victim is claimed by clearing its `idleSince`, so
    /// no two admissions pick it; if its client sends a request at that very moment,
    /// the request is answered and the cap is exceeded by one until it closes.
    private func evictLongestIdle() -> Bool {
        while true {
            var victim: Connection?
            var oldest = UInt64.max
            for connection in connections.values {
                let since = connection.idleSince.load(ordering: .relaxed)
                if since != 0 && since < oldest {
                    oldest = since
                    victim = connection
                }
            }
            guard let victim else { return false }
            if victim.idleSince.compareExchange(expected: oldest, desired: 0, ordering: .relaxed).exchanged {
                victim.closeIfIdle()
                return true
            }
        }
    }

    /// Over a connection cap: a best-effort 503 and an immediate close, without
    /// waiting on the client. What the client already sent is read first, since
    /// closing over unread input resets the connection and loses the response.
    /// A TLS client is just closed: answering would take a whole handshake.
    private func refuse(_ fd: Int32, with error: HTTPError) {
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
        if let bytes = ResponseSerializer.serialize(error.response, headOnly: false, persistence: .close) {
            _ = bytes.withUnsafeBytes { transport.write($0) }
        }
        transport.close()
    }

    private func pauseAccepting() {
        guard let acceptSource, !acceptPaused else { return }
        acceptSource.suspend()
        acceptPaused = true
        queue.asyncAfter(deadline: .now() + Self.acceptBackoff) { [self] in
            guard acceptPaused, state == .running || state == .announcing else { return }
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
        if let count = connectionsPerHost[connection.host], count > 1 {
            connectionsPerHost[connection.host] = count - 1
        } else {
            connectionsPerHost[connection.host] = nil
        }
        finishIfDrained()
    }

    private func finishIfDrained() {
        if state == .draining && connections.isEmpty && !listening {
            state = .stopped
        }
        guard state == .stopped else { return }
        // Every connection has closed, and deregistered from the poller first.
        poller?.stop()
        poller = nil
        let waiters = stopWaiters
        stopWaiters = []
        for waiter in waiters {
            waiter.resume()
        }
    }
}
