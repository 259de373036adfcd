import Dispatch
import Synchronization

/// One client connection: reads and parses requests, hands each to the responder,
/// writes the responses in order, and enforces every per-connection timeout.
///
/// Threading: all state lives on `queue`, a serial queue of the connection's own
/// that targets one of the server's event-loop queues. Socket readiness arrives
/// through a Dispatch read source and write source, and deadlines through one timer
/// source, all delivering on that queue. The responder runs in a `Task`; its
/// response hops back onto `queue` to be written. That confinement is what makes
/// the `@unchecked Sendable` sound. No thread ever blocks on a socket, so a slow
/// client costs a few kilobytes, not a thread.
///
/// One request is processed at a time. While the responder works, the connection
/// stops reading, so pipelined requests wait in the buffer and the kernel (which
/// pushes back on a client that sends too much), and are answered in order. It still
/// watches the socket, without reading it: when the client hangs up (end of stream or
/// a reset) before its answer, the responder's task is cancelled, so the work done for
/// nobody stops (as Go's server cancels a request's context). The answer is still
/// written if it comes, for a client that only half-closed.
///
/// The Dispatch sources' lifecycle, in the only order it can happen (every step on
/// `queue`, so no two overlap):
/// 1. `init` creates the read, write and timer sources, inactive, with no handlers.
/// 2. ``start(draining:)``, the first block on `queue`, sets every handler, activates
///    the timer and arms the read source. Nothing else touches a source before it.
/// 3. While open, only `updateSources()` resumes or suspends the read and write
///    sources, and only to flip `readSourceArmed` / `writeSourceArmed`, so each
///    source's suspend count is 0 (armed) or 1 (not), never anything else.
/// 4. `close()` runs once (it is guarded by `state`, and `drain`, `forceClose` and
///    `closeIfIdle` all reach it on `queue`): it cancels all three sources, then
///    resumes each fd source that is not armed (suspended, or never activated),
///    because a cancel handler runs only on a resumed source and a suspended source
///    must never be released. After it no source is resumed, suspended or
///    rescheduled again (`updateSources` and `updateTimer` return when closed).
/// 5. The socket closes in `sourceCancelled()`, when the second fd source's cancel
///    handler has run: only then has Dispatch let go of the descriptor in both, so
///    its number cannot be reused by a new connection while a source still watches
///    it. `onClosed` follows, and the server drops its reference; the sources are
///    released with the connection, all cancelled.
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

    private let readSource: DispatchSourceRead
    private let writeSource: DispatchSourceWrite
    private let timer: DispatchSourceTimer
    private var readSourceArmed = false
    private var writeSourceArmed = false
    private var pendingCancellations = 2

    private var state = State.readingHead
    private var parser: RequestParser
    private var input = ReadBuffer()
    private var output: [UInt8] = []
    private var outputOffset = 0
    /// What the transport said its last read or write waits for (always the obvious
    /// one for TCP; TLS may need the other direction mid-handshake).
    private var readInterest = IOInterest.readable
    private var writeInterest = IOInterest.writable

    private var readDeadline: DispatchTime?
    private var writeDeadline: DispatchTime?
    private var scheduledDeadline: DispatchTime?

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
        self.readSource = DispatchSource.makeReadSource(fileDescriptor: transport.fileDescriptor, queue: queue)
        self.writeSource = DispatchSource.makeWriteSource(fileDescriptor: transport.fileDescriptor, queue: queue)
        self.timer = DispatchSource.makeTimerSource(queue: queue)
    }

    /// Starts reading the first request; its header deadline runs from now. A
    /// connection accepted during a graceful shutdown starts `draining`.
    func start(draining: Bool) {
        queue.async { [self] in
            self.draining = draining
            readSource.setEventHandler { [weak self] in self?.socketReady(.readable) }
            writeSource.setEventHandler { [weak self] in self?.socketReady(.writable) }
            timer.setEventHandler { [weak self] in self?.timerFired() }
            // The socket may close only once Dispatch has let go of it in both sources.
            readSource.setCancelHandler { [weak self] in self?.sourceCancelled() }
            writeSource.setCancelHandler { [weak self] in self?.sourceCancelled() }
            timer.schedule(deadline: .distantFuture)
            timer.resume()
            readDeadline = .now() + configuration.headerTimeout.dispatchInterval
            updateTimer()
            updateSources()
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

    private func socketReady(_ readiness: IOInterest) {
        if hasOutput && writeInterest == readiness {
            flush()
        }
        if wantsInput && readInterest == readiness {
            readInput()
        }
        if watchingForHangUp && readiness == .readable {
            checkForHangUp()
        }
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
        updateSources()
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
                updateSources()
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
        updateSources()
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
                readDeadline = .now() + configuration.headerTimeout.dispatchInterval
                updateTimer()
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
                    updateTimer()
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
        readDeadline = nil
        updateTimer()
        deliver(response)
    }

    // MARK: - Responding

    private func respond(to request: HTTPRequest) {
        requestsServed += 1
        let keepAlive = currentHead?.keepAlive ?? false
        closeAfterResponse = !keepAlive || draining || requestsServed >= configuration.maxRequestsPerConnection
        state = .responding
        readDeadline = nil
        updateTimer()
        watchingForHangUp = true
        updateSources()
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
        readDeadline = nil
        updateTimer()
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
        writeDeadline = nil
        updateTimer()
        updateSources()
        if state == .writing {
            closeAfterResponse || draining ? linger() : awaitNextRequest()
        }
        // Otherwise an interim `100 Continue` went out and the body is still coming.
    }

    /// The socket is full: wait for it, for at most the write timeout from the last
    /// progress.
    private func waitToWrite(for interest: IOInterest, progressed: Bool) {
        writeInterest = interest
        if progressed || writeDeadline == nil {
            writeDeadline = .now() + configuration.writeTimeout.dispatchInterval
        }
        updateTimer()
        updateSources()
    }

    private func awaitNextRequest() {
        currentHead = nil
        state = .idle
        idleSince.store(max(1, DispatchTime.now().uptimeNanoseconds), ordering: .relaxed)
        readDeadline = .now() + configuration.keepAliveTimeout.dispatchInterval
        updateTimer()
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
        readDeadline = .now() + configuration.lingerTimeout.dispatchInterval
        updateTimer()
        readInput()
    }

    private func close() {
        guard state != .closed else { return }
        state = .closed
        idleSince.store(0, ordering: .relaxed)
        responseTask?.cancel()  // Whatever it computes can no longer be sent.
        responseTask = nil
        timer.cancel()
        readSource.cancel()
        writeSource.cancel()
        // A cancelled source runs its cancel handler only once resumed, and a
        // suspended source must never be released.
        if !readSourceArmed { readSource.resume() }
        if !writeSourceArmed { writeSource.resume() }
    }

    private func sourceCancelled() {
        pendingCancellations -= 1
        if pendingCancellations == 0 {
            transport.close()
            onClosed(self)
        }
    }

    // MARK: - Timeouts

    private func timerFired() {
        scheduledDeadline = nil
        let now = DispatchTime.now()
        if let writeDeadline, now >= writeDeadline {
            close()  // The client stopped reading its response.
        } else if let readDeadline, now >= readDeadline {
            switch state {
            case .readingBody:
                timeOutRequest(.bodyTooSlow(configuration))
            case .readingHead where parser.isInsideRequest || !input.isEmpty:
                timeOutRequest(.requestTimeout)
            default:
                close()  // Idle keep-alive, a connection that never sent a byte, or lingering.
            }
        } else {
            updateTimer()
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

    /// Sets the read deadline of a body after progress: the earliest of the idle
    /// timeout from now, the overall body deadline, and the moment the average rate
    /// since the body began would fall below `minBodyBytesPerSecond` (never before
    /// the grace period ends), so a client trickling bytes is cut off however it
    /// spaces them.
    private func armBodyDeadline() {
        var deadline = min(DispatchTime.now() + configuration.bodyIdleTimeout.dispatchInterval,
                           bodyStarted + configuration.bodyTimeout.dispatchInterval)
        let rate = configuration.minBodyBytesPerSecond
        if rate > 0 {
            // Doubles: the byte count is bounded by the body limit, and the quotient
            // is only compared, so no integer product can overflow.
            let earned = Double(bodyBytesReceived) / Double(rate)
            let allowed = min(max(configuration.bodyRateGracePeriod.seconds, earned), configuration.bodyTimeout.seconds)
            deadline = min(deadline, bodyStarted + .nanoseconds(Int(allowed * 1e9)))
        }
        readDeadline = deadline
        updateTimer()
    }

    /// Schedules the timer for the earliest deadline. Pushing a deadline later (as
    /// every body read does) leaves the timer alone; it re-arms when it fires early.
    private func updateTimer() {
        guard state != .closed, let deadline = [readDeadline, writeDeadline].compactMap({ $0 }).min() else { return }
        if let scheduledDeadline, scheduledDeadline <= deadline { return }
        scheduledDeadline = deadline
        timer.schedule(deadline: deadline)
    }

    /// Arms the read and write sources for what the connection waits on now.
    private func updateSources() {
        guard state != .closed else { return }
        let reading = wantsInput
        let writing = hasOutput
        let wantReadable = (reading && readInterest == .readable) || (writing && writeInterest == .readable)
            || (state == .responding && watchingForHangUp)
        let wantWritable = (reading && readInterest == .writable) || (writing && writeInterest == .writable)
        if wantReadable != readSourceArmed {
            wantReadable ? readSource.resume() : readSource.suspend()
            readSourceArmed = wantReadable
        }
        if wantWritable != writeSourceArmed {
            wantWritable ? writeSource.resume() : writeSource.suspend()
            writeSourceArmed = wantWritable
        }
    }
}
