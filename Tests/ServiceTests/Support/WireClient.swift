import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs blocking work (socket reads, model runs) on a thread of its own, so tests
/// never block the cooperative pool the service's handlers run on.
@discardableResult
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// A response as read off the wire.
struct Reply: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The `code` of an `{"error": {"code", "message"}}` body.
    var errorCode: String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let error = object["error"] as? [String: Any] else { return nil }
        return error["code"] as? String
    }
}

enum WireError: Error {
    case connectFailed(Int32)
    case timedOut
    case closed
    case malformed(String)
}

/// A blocking TCP client to 127.0.0.1 that sends any bytes (malformed ones too) and
/// reads responses one by one. Every call runs on a dedicated thread.
final class WireClient: @unchecked Sendable {
    private let fd: Int32
    private var received: [UInt8] = []

    init(port: Int, timeout: Double = 10) throws {
        fd = try Self.connect(port: port)
        var value = timeval(tv_sec: .init(timeout), tv_usec: .init((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    private static func connect(port: Int) throws -> Int32 {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connectSocket(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let code = errno
            close(descriptor)
            throw WireError.connectFailed(code)
        }
        return descriptor
    }

    /// Sends everything; `false` once the server has gone.
    @discardableResult
    func send(_ bytes: [UInt8]) async -> Bool {
        (try? await onThread { self.sendNow(bytes) }) ?? false
    }

    @discardableResult
    func send(_ text: String) async -> Bool {
        await send(Array(text.utf8))
    }

    /// Reads one response (a 1xx too), its body framed by Content-Length.
    func read(headOnly: Bool = false) async throws -> Reply {
        try await onThread { try self.readNow(headOnly: headOnly) }
    }

    /// Whether the server closes the connection within the read timeout, discarding
    /// what it sends before.
    func closes() async -> Bool {
        (try? await onThread { self.waitForClose() }) ?? false
    }

    /// Sends `bytes` and reads the response.
    func exchange(_ bytes: [UInt8]) async throws -> Reply {
        await send(bytes)
        return try await read()
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

    private func readNow(headOnly: Bool) throws -> Reply {
        var end = headEnd()
        while end == nil {
            try receive()
            end = headEnd()
        }
        let head = String(decoding: received[..<end!], as: UTF8.self)
        received.removeFirst(end! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw WireError.malformed(head)
        }
        let headers = try lines.map { line -> (name: String, value: String) in
            guard let colon = line.firstIndex(of: ":") else { throw WireError.malformed(line) }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var reply = Reply(status: status, headers: headers, body: [])
        let length = headOnly || status < 200 ? 0 : Int(reply.header("Content-Length") ?? "0") ?? 0
        while received.count < length { try receive() }
        reply.body = Array(received[..<length])
        received.removeFirst(length)
        return reply
    }

    private func waitForClose() -> Bool {
        while true {
            do {
                try receive()
                received = []
            } catch WireError.closed {
                return true
            } catch {
                return false
            }
        }
    }

    private func receive() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            received.append(contentsOf: chunk[..<n])
        } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
            throw WireError.timedOut
        } else {
            throw WireError.closed
        }
    }

    private func headEnd() -> Int? {
        guard received.count >= 4 else { return nil }
        for i in 0...(received.count - 4) where received[i] == 13 && received[i + 1] == 10 && received[i + 2] == 13 && received[i + 3] == 10 {
            return i
        }
        return nil
    }
}

// Free functions: inside `WireClient` the names `connect` and `send` are its own.
private func connectSocket(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

/// `send` that never raises SIGPIPE (the server may have closed already).
private func sendWithoutSignal(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    #if canImport(Glibc)
    send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
    #else
    var on: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
    return send(fd, bytes.baseAddress, bytes.count, 0)
    #endif
}
