import Dispatch
import Synchronization

/// One client connection: reads and parses requests, hands each to the responder,
/// writes the responses in order, and enforces every per-connection timeout.
///
/// Threading: all state lives on `queue`, a serial queue of the connection's own
/// that targets one of the server's event-loop queues. Socket readiness arrives from
/// the server's ``ReadinessPoller``, one armed event at a time, and deadlines from
/// ``ConnectionDeadlines``' timer, both delivering on that queue. The responder runs
/// in a `Task`; its response hops back onto `queue` to be written. That confinement is
/// what makes the `@unchecked Sendable` sound. No thread ever blocks on a socket, so a
/// slow client costs a few kilobytes, not a thread.
///
/// One request is processed at a time. While the responder works, the connection
/// stops reading, so pipelined requests wait in the buffer and the kernel (which
/// pushes back on a client that sends too much), and are answered in order. It still
/// watches the socket, without reading it: when the client hangs up (end of stream or
/// a reset) before its answer, the responder's task is cancelled, so the work done for
/// nobody stops (as Go's server cancels a request's context). The answer is still
/// written if it comes, for a client that only half-closed.
///
/// The socket's lifecycle, in the only order it can happen (every step on `queue`, so
/// no two overlap):
/// 1. ``start(draining:)``, the first block on `queue`, registers the socket with the
///    poller (disarmed), starts the deadline timer and arms for the first request.
/// 2. While open, only `updateInterest()` arms the socket, for what the state waits on
///    now; an event disarms it (`armed` becomes empty) and is handled, then
///    `updateInterest()` arms it again if the state still waits.
/// 3. `close()` runs once (it is guarded by `state`, and `drain`, `forceClose` and
///    `closeIfIdle` all reach it on `queue`): it stops the timer, deregisters the
///    socket, then closes it, in that order, and tells the server. An event already on
///    its way finds the state `.closed` and does nothing; the descriptor's number, once
///    reused, belongs to another registration.
final class Connection: @unchecked Sendable {
    private enum State {
        /// Keep-alive: waiting for the first byte of the next request.
        case idle
        /// Receiving the request line and header section (under the header deadline).
        case readingHead
        /// Receiving the body (under the body's idle timeout, overall deadline and
        /// minimum rate).
        case readingBody
        /// The responder has the request.
        case responding
        /// The final response is being written.
        case writing
        /// The response is out and the sending side shut; reading and discarding
        /// what the client still sends until it closes or the linger timeout passes.
        case lingering
        case closed
    }

    /// How much is read from the socket at a time.
    private static let readChunkSize = 64 * 1024
    /// Reads per readiness event before yielding the queue to other work.
    private static let readsPerEvent = 16

    private let queue: DispatchQueue
    private let transport: any Transport
    private let remoteAddress: String
    private let configuration: HTTPServer.Configuration
    private let responder: any HTTPResponder
    private let onClosed: @Sendable (Connection) -> Void

    private let poller: ReadinessPoller
    /// The socket's registration with the poller, from `start` until `close`.
    private var registration: ReadinessPoller.Registration?
    /// What the poller is armed for now; an event empties it (interest is one-shot).
    private var armed: Readiness = []
    private let deadlines: ConnectionDeadlines

    private var state = State.readingHead
    private var parser: RequestParser
    private var input = ReadBuffer()
    private var output: [UInt8] = []
    private var outputOffset = 0
    /// What the transport said its last read or write waits for (always the obvious
    /// one for TCP; TLS may need the other direction mid-handshake).
    private var readInterest = IOInterest.readable
    private var writeInterest = IOInterest.writable

    /// When the current body began (the end of its header section), and how many
    /// bytes have arrived since, for the overall body deadline and the minimum rate.
    private var bodyStarted = DispatchTime.now()
    private var bodyBytesReceived = 0
    /// Bytes discarded while lingering, capped by `maxLingerBytes`.
    private var lingerBytesDiscarded = 0

    private var requestsServed = 0
    /// The responder's task for the request being answered.
    private var responseTask: Task<Void, Never>?
    /// While responding: whether the socket is still watched for the client hanging up.
    /// It stops once the client is seen to hang up or to send more (bytes waiting make
    /// the socket readable for as long as they wait: they are read after the answer).
    private var watchingForHangUp = false
    private var currentHead: RequestHead?
    private var closeAfterResponse = false
    /// Set at the start of a graceful shutdown: every response from then on says
    /// `Connection: close`, so no client reuses the connection while it closes.
    private var draining = false

    /// When the connection last became an idle keep-alive connection, in
    /// `DispatchTime.uptimeNanoseconds`, or 0 while it is not idle. Written on
    /// `queue`, read by the server choosing whom to evict at the connection cap.
    let idleSince = Atomic<UInt64>(0)
    /// The client's address without the port (per-address limits count by it).
    let host: String

    init(
        transport: any Transport,
        eventLoop: DispatchQueue,
        poller: ReadinessPoller,
        host: String,
        remoteAddress: String,
        configuration: HTTPServer.Configuration,
        responder: any HTTPResponder,
        onClosed: @escaping @Sendable (Connection) -> Void
    ) {
        self.queue = DispatchQueue(label: "http.connection", target: eventLoop)
        self.transport = transport
        self.host = host
        self.remoteAddress = remoteAddress
        self.configuration = configuration
        self.responder = responder
        self.onClosed = onClosed
        self.parser = RequestParser(limits: configuration.parserLimits)
        self.poller = poller
        self.deadlines = ConnectionDeadlines(queue: queue)
    }

    /// Starts reading the first request; its header deadline runs from now. A
    /// connection accepted during a graceful shutdown starts `draining`.
    func start(draining: Bool) {
        queue.async { [self] in
            self.draining = draining
            let queue = self.queue
            do {
                registration = try poller.register(transport.fileDescriptor) { [weak self] ready in
                    guard let connection = self else { return }
                    queue.async { connection.socketReady(ready) }
                }
            } catch {
                close()  // The kernel cannot watch one more socket (out of memory or watches).
                return
            }
            deadlines.start { [weak self] in self?.timerFired() }
            deadlines.read = .now() + configuration.headerTimeout.dispatchInterval
            updateInterest()
        }
    }

    /// The start of a graceful shutdown: every response from now on carries
    /// `Connection: close` and the connection closes after it. An idle connection
    /// stays open (see ``closeIfIdle()``), since closing it now would race a client
    /// that is reusing it this very moment.
    func drain() {
        queue.async { [self] in draining = true }
    }

    /// Closes the connection if it is an idle keep-alive connection, after reading
    /// what the client may already have sent (a request found that way is answered
    /// instead, and the connection closes after it when draining). Used at the
    /// connection cap to evict an idle connection, and when a drain stops accepting.
    /// A new connection that has not sent its first byte yet is left to its header
    /// deadline: its request may be on the way.
    func closeIfIdle() {
        queue.async { [self] in
            guard state == .idle else { return }
            readInput()
            if state == .idle { close() }
        }
    }

    /// The end of a shutdown's grace period: a request still with the responder is
    /// answered 503 (best effort, without waiting), then the connection closes.
    func forceClose() {
        queue.async { [self] in
            if state == .responding, !hasOutput,
               let bytes = ResponseSerializer.serialize(HTTPError.shuttingDown.response, headOnly: currentHead?.method == "HEAD", persistence: .close) {
                _ = bytes.withUnsafeBytes { transport.write($0) }
            }
            close()
        }
    }

    // MARK: - Reading

    private var wantsInput: Bool {
        switch state {
        case .idle, .readingHead, .readingBody, .lingering: true
        case .responding, .writing, .closed: false
        }
    }

    /// Whether response bytes wait to be written, here or inside the transport.
    private var hasOutput: Bool {
        !output.isEmpty || transport.hasBufferedOutput
    }

    /// An event from the poller: it disarmed the socket; each direction that is ready
    /// is served, then the socket is armed again for what the state waits on.
    private func socketReady(_ ready: Readiness) {
        guard state != .closed else { return }
        armed = []
        if ready.contains(Readiness(writeInterest)) && hasOutput {
            flush()
        }
        if ready.contains(Readiness(readInterest)) && wantsInput {
            readInput()
        }
        if ready.contains(.readable) && watchingForHangUp {
            checkForHangUp()
        }
        updateInterest()
    }

    /// While responding: cancels the responder's task if the client has hung up.
    private func checkForHangUp() {
        switch Socket.peerActivity(transport.fileDescriptor) {
        case .quiet:
            return
        case .sentData:
            watchingForHangUp = false
        case .hungUp:
            watchingForHangUp = false
            responseTask?.cancel()
        }
        updateInterest()
    }

    private func readInput() {
        for _ in 0..<Self.readsPerEvent {
            guard wantsInput else { break }
            let result = withUnsafeTemporaryAllocation(byteCount: Self.readChunkSize, alignment: 1) { chunk in
                let result = transport.read(into: chunk)
                if case .transferred(let n) = result, state != .lingering {
                    input.append(UnsafeRawBufferPointer(rebasing: chunk[..<n]))
                }
                return result
            }
            switch result {
            case .transferred(let n):
                readInterest = .readable
                if state == .lingering {
                    lingerBytesDiscarded += n
                    if lingerBytesDiscarded > configuration.maxLingerBytes {
                        close()
                        return
                    }
                } else if state == .readingBody {
                    bodyBytesReceived += n
                    armBodyDeadline()
                }
                processInput()
            case .wouldBlock(let interest):
                readInterest = interest
                updateInterest()
                return
            case .closed:
                // A client may half-close after a complete request and still read the
                // answer; but here no complete request is waiting, so nothing is owed.
                close()
                return
            case .failed:
                close()
                return
            }
        }
        // More may be buffered (in the kernel, or decrypted inside TLS where the
        // socket would not signal it): continue after other work on the queue.
        if wantsInput {
            queue.async { [self] in if wantsInput { readInput() } }
        }
        updateInterest()
    }

    /// Runs the parser over the buffered input until it needs more bytes or hands
    /// a complete request to the responder.
    private func processInput() {
        while true {
            switch state {
            case .idle:
                guard !input.isEmpty else { return }
                idleSince.store(0, ordering: .relaxed)
                state = .readingHead
                deadlines.read = .now() + configuration.headerTimeout.dispatchInterval
            case .readingHead, .readingBody:
                let step: RequestParser.Step
                do {
                    step = try parser.next(&input)
                } catch {
                    fail(with: error)
                    return
                }
                switch step {
                case .needMoreData:
                    return
                case .head(let head):
                    currentHead = head
                    if let refusal = screen(head) {
                        refuse(with: refusal)
                        return
                    }
                    state = .readingBody
                    bodyStarted = .now()
                    // What arrived with the head is body too (possibly more, pipelined).
                    bodyBytesReceived = input.count
                    armBodyDeadline()
                    if head.expectsContinue {
                        enqueue(ResponseSerializer.continueResponse)
                    }
                case .request(var request):
                    request.remoteAddress = remoteAddress
                    respond(to: request)
                    return
                }
            case .responding, .writing, .lingering, .closed:
                return
            }
        }
    }

    /// The responder's verdict on a request head (see ``HTTPResponder/screen(head:)``).
    private func screen(_ head: RequestHead) -> HTTPResponse? {
        let request = HTTPRequest(method: head.method, target: head.target, version: head.version,
                                  headers: head.headers, remoteAddress: remoteAddress)
        return responder.screen(head: request)
    }

    /// Answers a request refused on its head, without reading its body (nor sending
    /// `100 Continue` for it), then closes: the unread body makes the rest of the
    /// stream meaningless. The lingering close discards at most `maxLingerBytes`.
    private func refuse(with response: HTTPResponse) {
        requestsServed += 1
        closeAfterResponse = true
        state = .responding
        deadlines.read = nil
        deliver(response)
    }

    // MARK: - Responding

    private func respond(to request: HTTPRequest) {
        requestsServed += 1
        let keepAlive = currentHead?.keepAlive ?? false
        closeAfterResponse = !keepAlive || draining || requestsServed >= configuration.maxRequestsPerConnection
        state = .responding
        deadlines.read = nil
        watchingForHangUp = true
        updateInterest()
        let responder = self.responder
        responseTask = Task {
            let response = await responder.respond(to: request)
            self.queue.async { self.deliver(response) }
        }
    }

    private func deliver(_ response: HTTPResponse) {
        guard state == .responding, let head = currentHead else { return }
        let asksToClose = response.headers.listValues(for: "Connection").contains { $0.equalsIgnoringASCIICase("close") }
        closeAfterResponse = closeAfterResponse || draining || asksToClose
        let persistence: ResponseSerializer.Persistence =
            closeAfterResponse ? .close : head.version == .http1_0 ? .keepAliveHTTP10 : .keepAlive
        let headOnly = head.method == "HEAD"
        state = .writing
        responseTask = nil
        watchingForHangUp = false
        if let bytes = ResponseSerializer.serialize(response, headOnly: headOnly, persistence: persistence) {
            enqueue(bytes)
        } else {
            closeAfterResponse = true
            enqueue(ResponseSerializer.serialize(HTTPError.invalidResponse.response, headOnly: headOnly, persistence: .close)!)
        }
    }

    /// Answers a request the parser refused, then closes: after a framing error
    /// there is no telling where a next request would start.
    private func fail(with error: HTTPError) {
        closeAfterResponse = true
        state = .writing
        deadlines.read = nil
        let headOnly = currentHead?.method == "HEAD"
        enqueue(ResponseSerializer.serialize(error.response, headOnly: headOnly, persistence: .close)!)
    }

    // MARK: - Writing

    private func enqueue(_ bytes: [UInt8]) {
        if output.isEmpty {
            output = bytes
            outputOffset = 0
        } else {
            output.append(contentsOf: bytes)
        }
        flush()
    }

    private func flush() {
        var progressed = false
        while outputOffset < output.count {
            let result = output.withUnsafeBytes { transport.write(UnsafeRawBufferPointer(rebasing: $0[outputOffset...])) }
            switch result {
            case .transferred(let n):
                outputOffset += n
                writeInterest = .writable
                progressed = true
            case .wouldBlock(let interest):
                waitToWrite(for: interest, progressed: progressed)
                return
            case .closed, .failed:
                close()
                return
            }
        }
        output = []
        outputOffset = 0
        switch transport.flushBufferedOutput() {
        case .flushed:
            break
        case .wouldBlock(let interest):
            waitToWrite(for: interest, progressed: progressed)
            return
        case .failed:
            close()
            return
        }
        deadlines.write = nil
        updateInterest()
        if state == .writing {
            closeAfterResponse || draining ? linger() : awaitNextRequest()
        }
        // Otherwise an interim `100 Continue` went out and the body is still coming.
    }

    /// The socket is full: wait for it, for at most the write timeout from the last
    /// progress.
    private func waitToWrite(for interest: IOInterest, progressed: Bool) {
        writeInterest = interest
        if progressed || deadlines.write == nil {
            deadlines.write = .now() + configuration.writeTimeout.dispatchInterval
        }
        updateInterest()
    }

    private func awaitNextRequest() {
        currentHead = nil
        state = .idle
        idleSince.store(max(1, DispatchTime.now().uptimeNanoseconds), ordering: .relaxed)
        deadlines.read = .now() + configuration.keepAliveTimeout.dispatchInterval
        processInput()
        if wantsInput {
            readInput()
        }
    }

    // MARK: - Closing

    /// Shuts the sending side and keeps reading until the client closes, so that
    /// closing with unread input does not reset the connection and destroy the
    /// response still in flight to the client.
    private func linger() {
        state = .lingering
        transport.shutdownOutput()
        input = ReadBuffer()
        lingerBytesDiscarded = 0
        deadlines.read = .now() + configuration.lingerTimeout.dispatchInterval
        readInput()
    }

    private func close() {
        guard state != .closed else { return }
        state = .closed
        idleSince.store(0, ordering: .relaxed)
        responseTask?.cancel()  // Whatever it computes can no longer be sent.
        responseTask = nil
        deadlines.cancel()
        if let registration {
            poller.deregister(registration)  // Before the close: the number may be reused at once.
            self.registration = nil
        }
        transport.close()
        onClosed(self)
    }

    // MARK: - Timeouts

    private func timerFired() {
        guard state != .closed, let expiry = deadlines.expired(at: .now()) else { return }
        switch expiry {
        case .write:
            close()  // The client stopped reading its response.
        case .read:
            switch state {
            case .readingBody:
                timeOutRequest(.bodyTooSlow(configuration))
            case .readingHead where parser.isInsideRequest || !input.isEmpty:
                timeOutRequest(.requestTimeout)
            default:
                close()  // Idle keep-alive, a connection that never sent a byte, or lingering.
            }
        }
    }

    /// A request that did not arrive in time: one attempt at a 408, then close.
    /// Waiting for a slow client to read it would hand it the time it abused.
    private func timeOutRequest(_ error: HTTPError) {
        if !hasOutput,
           let bytes = ResponseSerializer.serialize(error.response, headOnly: false, persistence: .close) {
            _ = bytes.withUnsafeBytes { transport.write($0) }
        }
        close()
    }

    /// Moves the body's read deadline after progress (``HTTPServer/Configuration/bodyDeadline(started:received:now:)``).
    private func armBodyDeadline() {
        deadlines.read = configuration.bodyDeadline(started: bodyStarted, received: bodyBytesReceived, now: .now())
    }

    /// Arms the socket for what the connection waits on now (or disarms it), unless the
    /// poller is armed for exactly that already. A socket the kernel refuses to watch
    /// would never be served again, so the connection closes.
    private func updateInterest() {
        guard state != .closed, let registration else { return }
        var interest: Readiness = []
        if wantsInput { interest.insert(Readiness(readInterest)) }
        if hasOutput { interest.insert(Readiness(writeInterest)) }
        if state == .responding && watchingForHangUp { interest.insert(.readable) }
        guard interest != armed else { return }
        armed = interest
        if !poller.arm(registration, for: interest) {
            close()
        }
    }
}
