import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An origin server on 127.0.0.1 for the URL fetcher's tests: for each connection it reads the
/// request head, records it, and writes what `reply(path)` gives, piece by piece with `pause`
/// between pieces (a trickling body), then closes. Stopped by `stop()`.
final class ScriptedOrigin: @unchecked Sendable {
    struct Reply {
        var pieces: [[UInt8]]
        var pause: Duration = .zero

        /// A whole response: status, header lines and body.
        static func response(_ status: String, headers: [String] = [], body: [UInt8] = []) -> Reply {
            let head = "HTTP/1.1 \(status)\r\n" + headers.map { "\($0)\r\n" }.joined() + "\r\n"
            return Reply(pieces: [Array(head.utf8) + body])
        }
    }

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var heads: [String] = []

    /// The request heads received, in order.
    var requests: [String] { lock.withLock { heads } }

    init(reply: @escaping @Sendable (String) -> Reply) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound, listen(fd, 16) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in serve(reply) }.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve(_ reply: @Sendable (String) -> Reply) {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var head: [UInt8] = []
            var byte: UInt8 = 0
            while !head.reversed().starts(with: Array("\n\r\n\r".utf8)), head.count < 65536, recv(client, &byte, 1, 0) == 1 { head.append(byte) }
            let text = String(decoding: head, as: UTF8.self)
            lock.withLock { heads.append(text) }
            let path = text.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            let answer = reply(path)
            for (i, piece) in answer.pieces.enumerated() {
                if i > 0 && answer.pause > .zero { Thread.sleep(forTimeInterval: Double(answer.pause.components.attoseconds) / 1e18 + Double(answer.pause.components.seconds)) }
                guard piece.withUnsafeBytes({ send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == piece.count else { break }
            }
            close(client)
        }
    }
}
