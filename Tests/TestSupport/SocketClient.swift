import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a `SocketClient` call failed.
public enum SocketClientError: Error, Equatable {
    /// No connection: the `errno` of the failed step (`ECONNREFUSED` when nobody listens).
    case connectFailed(Int32)
    /// The call's deadline passed before what it waits for arrived.
    case timedOut
    /// The server closed the connection (orderly or by a reset) before the response was whole.
    case closed
    /// What arrived is not an HTTP/1.1 response head: the offending text.
    case malformed(String)
}

/// A blocking TCP client of a server on 127.0.0.1, for tests: it sends any bytes (malformed
/// ones too) and reads responses one at a time, keeping what arrives after one response
/// for the next (so pipelined answers are read in order).
///
/// Every wait is bounded by `timeout`: a read gives up (`timedOut`) once `timeout` has
/// passed since the call began, however slowly the server trickles bytes; connecting and
/// sending give up once the server has taken nothing for `timeout`. So a broken server
/// fails one test instead of hanging the run. The blocking calls run on threads of their
/// own (`onThread`), never on the cooperative pool the server's responders need.
///
/// Sending from one task while another reads is safe (the socket is full duplex; only
/// reads touch `received`); two reads at once are not.
public final class SocketClient: @unchecked Sendable {
    private let descriptor: Int32
    private let timeout: Duration
    /// Bytes read past the end of the last response.
    private var received: [UInt8] = []

    /// Connects to `host`:`port` (an IPv4 literal, 127.0.0.1 by default), from `source` when
    /// given (another loopback address, such as 127.0.0.2, stands for another client host).
    /// Every later call waits at most `timeout`.
    public init(port: Int, host: String = "127.0.0.1", source: String? = nil, timeout: Duration = .seconds(10)) throws {
        // Both stored properties are set only on success: a throwing init that had set them
        // all would also run `deinit`, closing the descriptor a second time.
        descriptor = try Self.connect(port: port, host: host, source: source, timeout: timeout)
        self.timeout = timeout
    }

    deinit {
        close(descriptor)
    }

    /// Makes the close in `deinit` abortive: a reset instead of an orderly FIN.
    public func resetOnClose() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    /// Closes the sending side only (a FIN): the client has said all it will say, and may
    /// still read.
    public func closeSending() {
        _ = shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Sends all of `bytes`; `false` when the server has gone or took nothing for `timeout`.
    @discardableResult
    public func send(_ bytes: [UInt8]) async -> Bool {
        await onThread { self.sendNow(bytes) }
    }

    /// Sends `text` as UTF-8.
    @discardableResult
    public func send(_ text: String) async -> Bool {
        await send(Array(text.utf8))
    }

    /// Reads one response: status line, headers, and a body framed by Content-Length
    /// (none when `headOnly`, the answer to a HEAD; none for a 1xx).
    public func readResponse(headOnly: Bool = false) async throws -> WireResponse {
        try await onThread { try self.readResponseNow(headOnly: headOnly) }
    }

    /// Sends `bytes` and reads the response.
    public func exchange(_ bytes: [UInt8]) async throws -> WireResponse {
        await send(bytes)
        return try await readResponse()
    }

    /// Sends `text` as UTF-8 and reads the response.
    public func exchange(_ text: String) async throws -> WireResponse {
        try await exchange(Array(text.utf8))
    }

    /// A slowloris: sends `head`, then `byte` every `interval`, `count` times at most,
    /// stopping at the first failed send or when the task is cancelled. Every byte arrives
    /// well within any idle timeout, so only a deadline on the whole stops it.
    public func trickle(
        _ head: String, then byte: String = "X", every interval: Duration = .milliseconds(50), count: Int = 60
    ) -> Task<Void, Never> {
        Task.detached {
            guard await self.send(head) else { return }
            for _ in 0..<count where !Task.isCancelled {
                guard await self.send(byte) else { return }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Whether the server closes the connection (a FIN or a reset) within `timeout`,
    /// discarding whatever it sends first.
    public func waitForClose() async -> Bool {
        await onThread { self.waitForCloseNow() }
    }

    /// Everything the server sends until it closes; `timedOut` if it has not closed
    /// within `timeout`.
    public func readToEnd() async throws -> [UInt8] {
        try await onThread { try self.readToEndNow() }
    }

    private func sendNow(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { sendWithoutSignal(descriptor, $0) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    private func readResponseNow(headOnly: Bool) throws -> WireResponse {
        let deadline = ContinuousClock.now + timeout
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headEnd = received.firstRange(of: terminator)
        while headEnd == nil {
            try receiveMore(before: deadline)
            headEnd = received.firstRange(of: terminator)
        }
        let head = String(decoding: received[..<headEnd!.lowerBound], as: UTF8.self)
        received.removeSubrange(..<headEnd!.upperBound)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw SocketClientError.malformed(head)
        }
        let headers = try lines.map { line -> (name: String, value: String) in
            guard let colon = line.firstIndex(of: ":") else { throw SocketClientError.malformed(line) }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = WireResponse(status: status, headers: headers, body: [])
        var length = 0
        if !headOnly && status >= 200, let declared = response.header("Content-Length") {
            guard let value = Int(declared), value >= 0 else {
                throw SocketClientError.malformed("Content-Length: \(declared)")
            }
            length = value
        }
        while received.count < length {
            try receiveMore(before: deadline)
        }
        response.body = Array(received[..<length])
        received.removeFirst(length)
        return response
    }

    private func waitForCloseNow() -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                try receiveMore(before: deadline)
                received.removeAll()
            } catch SocketClientError.closed {
                return true
            } catch {
                return false
            }
        }
    }

    private func readToEndNow() throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                try receiveMore(before: deadline)
            } catch SocketClientError.closed {
                defer { received = [] }
                return received
            }
        }
    }

    /// Appends what the socket has to `received`, waiting for it until `deadline` at most;
    /// `closed` at the end of the stream or on a reset. May append nothing (an interrupted
    /// wait): callers loop.
    private func receiveMore(before deadline: ContinuousClock.Instant) throws {
        let remaining = deadline - .now
        guard remaining > .zero else { throw SocketClientError.timedOut }
        var readiness = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&readiness, 1, Self.milliseconds(remaining))
        if ready == 0 { throw SocketClientError.timedOut }
        if ready < 0 { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count > 0 {
            received.append(contentsOf: chunk[..<count])
        } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return
        } else {
            throw SocketClientError.closed
        }
    }

    /// `duration` in whole milliseconds, rounded up (a wait never ends early), at most `Int32.max`.
    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let rounded = Int64(seconds).multipliedReportingOverflow(by: 1000)
        guard !rounded.overflow else { return Int32.max }
        let total = rounded.partialValue + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: total)
    }

    /// A connected socket, or `connectFailed`; with `timeout` as its send timeout (which on
    /// Linux bounds the connect too).
    private static func connect(port: Int, host: String, source: String?, timeout: Duration) throws -> Int32 {
        guard let port16 = UInt16(exactly: port) else { throw SocketClientError.connectFailed(EINVAL) }
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw SocketClientError.connectFailed(errno) }
        func fail(_ code: Int32) -> SocketClientError {
            close(descriptor)
            return .connectFailed(code)
        }
        let (seconds, attoseconds) = timeout.components
        var sendTimeout = timeval(tv_sec: .init(seconds), tv_usec: .init(attoseconds / 1_000_000_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Darwin)
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            guard inet_pton(AF_INET, source, &local.sin_addr) == 1 else { throw fail(EINVAL) }
            guard withSocketAddress(&local, { bind(descriptor, $0, $1) }) == 0 else { throw fail(errno) }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port16.bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw fail(EINVAL) }
        guard withSocketAddress(&address, { connectSocket(descriptor, $0, $1) }) == 0 else { throw fail(errno) }
        // Connecting to a port nobody listens on can, rarely, pick that same port as its own
        // source port and connect to itself (TCP simultaneous open). That is a refusal too.
        var connected = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &connected) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard UInt16(bigEndian: connected.sin_port) != port16 else { throw fail(ECONNREFUSED) }
        return descriptor
    }
}

/// Calls `body` with `address` as the `sockaddr` pointer and length the socket calls take.
private func withSocketAddress(
    _ address: inout sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32
) -> Int32 {
    withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

// Free functions: inside `SocketClient` the names `connect` and `send` are its own.
private func connectSocket(_ descriptor: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(descriptor, address, length)
}

/// `send` that never raises SIGPIPE (the server may have closed already; on Darwin the
/// socket's SO_NOSIGPIPE, set when connecting, does the same).
private func sendWithoutSignal(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    #if canImport(Glibc)
    send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
    #else
    send(descriptor, bytes.baseAddress, bytes.count, 0)
    #endif
}
