import Dispatch

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
/// pushes back on a client that sends too much), and are answered in order.
final class Connection: @unchecked Sendable {
    private enum State {
        /// Keep-alive: waiting for the first byte of the next request.
        case idle
        /// Receiving the request line and header section (under the header deadline).
        case readingHead
        /// Receiving the body (under the body idle timeout).
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

    private var requestsServed = 0
    private var currentHead: RequestHead?
    private var closeAfterResponse = false
    private var draining = false

    init(
        transport: any Transport,
        eventLoop: DispatchQueue,
        remoteAddress: String,
        configuration: HTTPServer.Configuration,
        responder: any HTTPResponder,
        onClosed: @escaping @Sendable (Connection) -> Void
    ) {
        self.queue = DispatchQueue(label: "http.connection", target: eventLoop)
        self.transport = transport
        self.remoteAddress = remoteAddress
        self.configuration = configuration
        self.responder = responder
        self.onClosed = onClosed
        self.parser = RequestParser(limits: configuration.parserLimits)
        self.readSource = DispatchSource.makeReadSource(fileDescriptor: transport.fileDescriptor, queue: queue)
        self.writeSource = DispatchSource.makeWriteSource(fileDescriptor: transport.fileDescriptor, queue: queue)
        self.timer = DispatchSource.makeTimerSource(queue: queue)
    }

    /// Starts reading the first request; its header deadline runs from now.
    func start() {
        queue.async { [self] in
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

    /// Graceful shutdown: an idle connection closes now; one mid-request finishes
    /// it and closes after the response.
    func drain() {
        queue.async { [self] in
            draining = true
            switch state {
            case .idle, .lingering:
                close()
            case .readingHead where !parser.isInsideRequest && input.isEmpty:
                close()
            default:
                break
            }
        }
    }

    /// Closes at once, whatever is in flight (the end of a shutdown's grace period).
    func forceClose() {
        queue.async { [self] in close() }
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
            case .transferred:
                readInterest = .readable
                if state == .readingBody {
                    readDeadline = .now() + configuration.bodyIdleTimeout.dispatchInterval
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
                    state = .readingBody
                    readDeadline = .now() + configuration.bodyIdleTimeout.dispatchInterval
                    updateTimer()
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

    // MARK: - Responding

    private func respond(to request: HTTPRequest) {
        requestsServed += 1
        let keepAlive = currentHead?.keepAlive ?? false
        closeAfterResponse = !keepAlive || draining || requestsServed >= configuration.maxRequestsPerConnection
        state = .responding
        readDeadline = nil
        updateTimer()
        updateSources()
        let responder = self.responder
        Task {
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
        guard !draining else {
            close()
            return
        }
        state = .lingering
        transport.shutdownOutput()
        input = ReadBuffer()
        readDeadline = .now() + configuration.lingerTimeout.dispatchInterval
        updateTimer()
        readInput()
    }

    private func close() {
        guard state != .closed else { return }
        state = .closed
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
            case .readingHead where parser.isInsideRequest || !input.isEmpty, .readingBody:
                timeOutRequest()
            default:
                close()  // Idle keep-alive, a connection that never sent a byte, or lingering.
            }
        } else {
            updateTimer()
        }
    }

    /// A request that did not arrive in time: one attempt at a 408, then close.
    /// Waiting for a slow client to read it would hand it the time it abused.
    private func timeOutRequest() {
        if !hasOutput,
           let bytes = ResponseSerializer.serialize(HTTPError.requestTimeout.response, headOnly: false, persistence: .close) {
            _ = bytes.withUnsafeBytes { transport.write($0) }
        }
        close()
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
