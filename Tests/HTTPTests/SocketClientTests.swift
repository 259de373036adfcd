import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The test client's own promise, which every socket suite relies on: a read ends at its
/// deadline, even against a peer that never stops trickling bytes (a receive timeout per
/// `recv` alone would wait for ever).
@Suite(.timeLimit(.minutes(1))) struct SocketClientTests {
    @Test func aReadEndsAtItsDeadlineWhileBytesKeepTrickling() async throws {
        let peer = try TricklingPeer()
        let client = try SocketClient(port: peer.port, timeout: .milliseconds(500))
        let start = ContinuousClock.now
        await #expect(throws: SocketClientError.timedOut) { try await client.readResponse() }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(450) && elapsed < .seconds(3), "gave up after \(elapsed)")
        #expect(peer.sentBytes() > 2, "the peer did keep sending")
    }
}

/// A listening socket on 127.0.0.1 whose one accepted connection gets an unfinished
/// response head, one byte every 50 ms, until the client goes.
private final class TricklingPeer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var sent = 0

    init() throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 1) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard listening else {
            close(descriptor)
            throw SocketClientError.connectFailed(errno)
        }
        listener = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in trickle() }.start()
    }

    deinit {
        close(listener)
    }

    /// How many bytes the peer has sent so far.
    func sentBytes() -> Int {
        lock.withLock { sent }
    }

    private func trickle() {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        #if canImport(Darwin)
        var on: Int32 = 1
        setsockopt(connection, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
        let head = Array("HTTP/1.1 200 OK\r\nX-Slow: ".utf8)
        for index in 0..<1200 {
            let byte = head[min(index, head.count - 1)]
            #if canImport(Glibc)
            let result = withUnsafeBytes(of: byte) { send(connection, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
            #else
            let result = withUnsafeBytes(of: byte) { send(connection, $0.baseAddress, 1, 0) }
            #endif
            guard result == 1 else { return }
            lock.withLock { sent += 1 }
            usleep(50_000)
        }
    }
}
