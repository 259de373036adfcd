import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A response as the raw client read it off the wire.
struct WireResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The `code` of a server-generated `{"error":{"code":...}}` body.
    var errorCode: String? {
        guard let range = text.range(of: #"{"error":{"code":""#) else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\"" })
    }
}

enum ClientError: Error {
    case connectFailed(Int32)
    case timedOut
    case closed
    case malformed(String)
}

/// A blocking TCP client that sends arbitrary bytes (malformed ones included) and
/// reads responses one by one, keeping whatever arrives after one for the next.
/// Sending from one task while another reads is safe (the socket is full-duplex);
/// only reads touch `received`.
final class RawClient: @unchecked Sendable {
    let fd: Int32
    private var received: [UInt8] = []

    /// Connects to 127.0.0.1:`port` from `source` (another loopback address, such as
    /// 127.0.0.2, stands for another client host); reads give up after `timeout` seconds.
    init(port: Int, source: String = "127.0.0.1", timeout: Double = 5) throws {
        // `fd` is set only on success: a throwing init that had set every property
        // would also run `deinit`, closing the descriptor a second time.
        fd = try Self.openConnection(port: port, source: source)
        setTimeout(timeout)
    }

    private static func openConnection(port: Int, source: String) throws -> Int32 {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw ClientError.connectFailed(code)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let code = errno
            close(descriptor)
            throw ClientError.connectFailed(code)
        }
        // Connecting to a port nobody listens on can, rarely, pick that same port as
        // its own source port and connect to itself (TCP simultaneous open). That is
        // a refusal too.
        var connected = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &connected) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard Int(UInt16(bigEndian: connected.sin_port)) != port else {
            close(descriptor)
            throw ClientError.connectFailed(ECONNREFUSED)
        }
        return descriptor
    }

    deinit {
        close(fd)
    }

    func setTimeout(_ seconds: Double) {
        var value = timeval(tv_sec: .init(seconds), tv_usec: .init((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Makes the close in `deinit` abortive: a reset instead of an orderly FIN.
    func resetOnClose() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    /// Closes the sending side only (a FIN): the client has said all it will say, and
    /// may still read.
    func closeSending() {
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    /// Sends everything; `false` if the server has already gone.
    @discardableResult
    func send(_ bytes: [UInt8]) async -> Bool {
        await onThread { self.sendNow(bytes) }
    }

    @discardableResult
    func send(_ text: String) async -> Bool {
        await send(Array(text.utf8))
    }

    /// Reads one response: status line, headers, and a body framed by Content-Length
    /// (none for HEAD when `headOnly`; 1xx carry none).
    func readResponse(headOnly: Bool = false) async throws -> WireResponse {
        try await onThread { try self.readResponseNow(headOnly: headOnly) }
    }

    /// Whether the server closes the connection (EOF or reset) within the read
    /// timeout, discarding anything it sends first.
    func waitForClose() async -> Bool {
        await onThread { self.waitForCloseNow() }
    }

    /// Everything until the server closes.
    func readToEnd() async throws -> [UInt8] {
        try await onThread { try self.readToEndNow() }
    }

    private func sendNow(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { sendWithoutSignal(fd, $0) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    private func readResponseNow(headOnly: Bool) throws -> WireResponse {
        var headEnd = find([13, 10, 13, 10])
        while headEnd == nil {
            try receiveMore()
            headEnd = find([13, 10, 13, 10])
        }
        let head = String(decoding: received[..<headEnd!], as: UTF8.self)
        received.removeFirst(headEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw ClientError.malformed(head)
        }
        let headers = lines.map { line -> (name: String, value: String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = WireResponse(status: status, headers: headers, body: [])
        let length = headOnly || status < 200 ? 0 : Int(response.header("Content-Length") ?? "0")!
        while received.count < length {
            try receiveMore()
        }
        response.body = Array(received[..<length])
        received.removeFirst(length)
        return response
    }

    private func waitForCloseNow() -> Bool {
        while true {
            do {
                try receiveMore()
            } catch ClientError.closed {
                return true
            } catch {
                return false
            }
        }
    }

    private func readToEndNow() throws -> [UInt8] {
        while true {
            do {
                try receiveMore()
            } catch ClientError.closed {
                let all = received
                received = []
                return all
            }
        }
    }

    private func receiveMore() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            received.append(contentsOf: chunk[..<n])
        } else if n == 0 || errno == ECONNRESET {
            throw ClientError.closed
        } else if errno == EAGAIN || errno == EWOULDBLOCK {
            throw ClientError.timedOut
        } else {
            throw ClientError.closed
        }
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard received.count >= pattern.count else { return nil }
        for start in 0...(received.count - pattern.count) where received[start..<(start + pattern.count)].elementsEqual(pattern) {
            return start
        }
        return nil
    }
}

/// `send` that never raises SIGPIPE (the server may already have closed).
private func sendWithoutSignal(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    #if canImport(Glibc)
    send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
    #else
    var on: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
    return send(fd, bytes.baseAddress, bytes.count, 0)
    #endif
}
