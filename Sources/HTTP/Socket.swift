#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed socket call, with the `errno` it left.
public struct SocketError: Error, CustomStringConvertible {
    /// The call that failed, e.g. `bind(0.0.0.0:8080)`.
    public var operation: String
    /// The `errno` value (`EINVAL` for a host name that does not resolve).
    public var code: Int32
    /// What went wrong, in words.
    public var reason: String

    init(operation: String, code: Int32, reason: String? = nil) {
        self.operation = operation
        self.code = code
        self.reason = reason ?? String(cString: strerror(code))
    }

    public var description: String {
        "\(operation) failed: \(reason)"
    }
}

/// Thin wrappers over the POSIX socket calls the server needs.
enum Socket {
    enum AcceptResult {
        /// `host` is the peer's address alone (per-address limits count by it);
        /// `remoteAddress` adds the port.
        case accepted(fileDescriptor: Int32, host: String, remoteAddress: String)
        case wouldBlock
        case failed(errno: Int32)
    }

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    private static let streamType = SOCK_STREAM
    #endif

    /// A non-blocking TCP socket bound to `host:port` and listening. An IPv6
    /// wildcard (`::`) also accepts IPv4 connections.
    static func makeListener(host: String, port: Int, backlog: Int32) throws(SocketError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw status == EAI_SYSTEM
                ? SocketError(operation: "getaddrinfo(\(host))", code: errno)
                : SocketError(operation: "getaddrinfo(\(host))", code: EINVAL, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }

        var lastError = SocketError(operation: "bind", code: EADDRNOTAVAIL)
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, streamType, 0)
            guard fd >= 0 else {
                lastError = SocketError(operation: "socket", code: errno)
                continue
            }
            var on: Int32 = 1
            var off: Int32 = 0
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            if info.pointee.ai_family == AF_INET6 {
                setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
            }
            if bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
                lastError = SocketError(operation: "bind(\(host):\(port))", code: errno)
            } else if listen(fd, backlog) != 0 {
                lastError = SocketError(operation: "listen", code: errno)
            } else if let error = prepare(fd) {
                lastError = error
            } else {
                return fd
            }
            _ = close(fd)
        }
        throw lastError
    }

    /// The local port a socket is bound to.
    static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return describe(storage, length: length).port
    }

    /// Accepts one pending connection, already non-blocking, close-on-exec, with
    /// Nagle off (a response goes out in one write and must not wait for an ACK).
    static func acceptConnection(_ listener: Int32) -> AcceptResult {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
        }
        guard fd >= 0 else {
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock : .failed(errno: errno)
        }
        if prepare(fd) != nil {
            _ = close(fd)
            return .failed(errno: errno)
        }
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        let (host, port) = describe(storage, length: length)
        return .accepted(fileDescriptor: fd, host: host, remoteAddress: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
    }

    /// Sends without raising SIGPIPE when the peer has gone: `MSG_NOSIGNAL` on
    /// Linux, `SO_NOSIGPIPE` (set in ``prepare(_:)``) on Darwin.
    static func sendBytes(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        #if canImport(Glibc)
        send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        #else
        send(fd, bytes.baseAddress, bytes.count, 0)
        #endif
    }

    static func receiveBytes(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        recv(fd, buffer.baseAddress, buffer.count, 0)
    }

    /// What the peer of a connected socket has done, seen without consuming anything.
    enum PeerActivity: Equatable {
        /// Nothing to read yet.
        case quiet
        /// Bytes are waiting (a pipelined request, or TLS records).
        case sentData
        /// The peer closed its sending side (end of stream) or the connection failed.
        case hungUp
    }

    /// Peeks at one byte (`recv` with `MSG_PEEK`; the socket is non-blocking) to tell a
    /// peer that has gone from one that is waiting or sending more.
    static func peerActivity(_ fd: Int32) -> PeerActivity {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK))
        if n > 0 { return .sentData }
        if n == 0 { return .hungUp }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .quiet : .hungUp
    }

    static func shutdownOutput(_ fd: Int32) {
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    static func closeDescriptor(_ fd: Int32) {
        _ = close(fd)
    }

    /// Makes `fd` non-blocking and close-on-exec, and on Darwin stops it raising SIGPIPE.
    private static func prepare(_ fd: Int32) -> SocketError? {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0, fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 else {
            return SocketError(operation: "fcntl", code: errno)
        }
        #if canImport(Darwin)
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
        return nil
    }

    /// The numeric host and port of a socket address.
    private static func describe(_ storage: sockaddr_storage, length: socklen_t) -> (host: String, port: Int) {
        var storage = storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return ("?", 0) }
        return (String(decoding: host.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self),
                Int(String(decoding: service.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)) ?? 0)
    }
}
