import ClientText
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 client for fetching images by URL under a ``FetchPolicy``: `GET` with
/// `Connection: close`, a `Content-Length`, chunked or close-delimited body, 200 only; over
/// TLS for `https://` (``FetchTLSSession``: the certificate verified and checked to name the host).
///
/// Against SSRF: the URL's host and port must be allowed; the name is resolved once and every
/// address checked before any is tried, and the connection goes to a checked address (never
/// resolved again, so a second DNS answer cannot swap in another address); a redirect is
/// followed only to the same scheme, host and port, and is checked like the first URL; the body
/// is capped in bytes and the whole fetch (TLS handshake included) in time.
public struct URLFetcher: Sendable {
    public var policy: FetchPolicy
    /// Resolves a host name to addresses (tests substitute one); `getaddrinfo` by default.
    var resolve: @Sendable (String) throws(FetchError) -> [IPAddress] = URLFetcher.systemResolve

    /// The largest response head read (status line and header fields).
    static let maximumHeadBytes = 16 * 1024

    public init(policy: FetchPolicy) {
        self.policy = policy
    }

    init(policy: FetchPolicy, resolve: @escaping @Sendable (String) throws(FetchError) -> [IPAddress]) {
        self.policy = policy
        self.resolve = resolve
    }

    /// Fetches `url` off the caller's thread (a blocking fetch must not hold a Swift concurrency thread).
    public func fetch(_ url: String) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try fetchBlocking(url))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Fetches `url`, blocking the calling thread for at most the policy's timeout (name
    /// resolution included).
    public func fetchBlocking(_ text: String) throws(FetchError) -> [UInt8] {
        let deadline = FetchDeadline(instant: .now + policy.timeout, timeout: policy.timeout)
        var url = try FetchURL(text)
        var redirects = 0
        while true {
            try policy.check(url)
            let addresses: [IPAddress]
            if let literal = IPAddress(literal: url.host) { addresses = [literal] } else { addresses = try resolve(url.host, deadline: deadline) }
            guard !addresses.isEmpty else { throw .failed("\(ClientText.quoted(url.host)) resolves to no address") }
            for address in addresses { try policy.check(address, of: url.host) }
            let response = try exchange(url, addresses: addresses, deadline: deadline)
            switch response.status {
            case 200:
                return response.body
            case 301, 302, 303, 307, 308:
                guard let location = response.location else { throw .failed("\(url) answered \(response.status) without a Location") }
                redirects += 1
                guard redirects <= policy.maximumRedirects else { throw .refused("more than \(policy.maximumRedirects) redirects") }
                let next = location.hasPrefix("/") && !location.hasPrefix("//")
                    ? try FetchURL("\(url.secure ? "https" : "http")://\(url.host.contains(":") ? "[\(url.host)]" : url.host):\(url.port)\(location)")
                    : try FetchURL(location)
                guard next.host == url.host, next.port == url.port, next.secure == url.secure else {
                    throw .refused("\(url) redirects to another host (\(ClientText.quoted(next.host)) port \(next.port)\(next.secure == url.secure ? "" : ", another scheme")); redirects are followed only on the same host")
                }
                url = next
            default:
                throw .failed("\(url) answered HTTP \(response.status)")
            }
        }
    }

    /// `resolve(host)` on another thread, waited for until the deadline: `getaddrinfo` has no
    /// timeout of its own to pass, so a resolver that hangs is left to finish by itself.
    private func resolve(_ host: String, deadline: FetchDeadline) throws(FetchError) -> [IPAddress] {
        final class Answer: @unchecked Sendable {
            // Written before `done` is signalled, read after it is waited for.
            var result: Result<[IPAddress], FetchError> = .success([])
        }
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        let resolve = self.resolve
        DispatchQueue.global().async {
            answer.result = Result { () throws(FetchError) in try resolve(host) }
            done.signal()
        }
        guard done.wait(timeout: .now() + (deadline.instant - .now).dispatchInterval) == .success else {
            throw .timedOut(seconds: deadline.timeout.seconds)
        }
        return try answer.result.get()
    }

    struct Response {
        var status: Int
        var location: String?
        var body: [UInt8]
    }

    /// One request and its response on a new connection to the first address that accepts.
    private func exchange(_ url: FetchURL, addresses: [IPAddress], deadline: FetchDeadline) throws(FetchError) -> Response {
        var lastError = FetchError.failed("\(url) could not be reached")
        for address in addresses {
            let fd: Int32
            do {
                fd = try connect(address, port: url.port, deadline: deadline)
            } catch .timedOut(let s) {
                throw .timedOut(seconds: s)
            } catch {
                lastError = error
                continue
            }
            defer { close(fd) }
            let socket = SocketStream(fd: fd, deadline: deadline)
            let stream: any FetchStream = url.secure ? try FetchTLSSession(socket, host: url.host, trustedCertificates: policy.trustedCertificates) : socket
            let defaultPort = url.secure ? 443 : 80
            var request = "GET \(url.target) HTTP/1.1\r\nHost: \(url.host.contains(":") ? "[\(url.host)]" : url.host)\(url.port == defaultPort ? "" : ":\(url.port)")\r\n"
            // No Accept: Label Studio's /data/upload/ answers 406 to `Accept: image/*`.
            request += "User-Agent: gradcam-server\r\nConnection: close\r\n"
            if let authorization = policy.authorization { request += "Authorization: \(authorization)\r\n" }
            request += "\r\n"
            try stream.send(Array(request.utf8))
            return try read(stream)
        }
        throw lastError
    }

    private func connect(_ address: IPAddress, port: Int, deadline: FetchDeadline) throws(FetchError) -> Int32 {
        let target = Self.socketAddress(address, port: port)
        var storage = target.0
        let length = target.1
        let family = address.bytes.count == 4 ? AF_INET : AF_INET6
        #if canImport(Glibc)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        #else
        let fd = socket(family, SOCK_STREAM, 0)
        if fd >= 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        #endif
        guard fd >= 0 else { throw .failed("socket: \(String(cString: strerror(errno)))") }
        let started = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketConnect(fd, $0, length) }
        }
        if started != 0 && errno != EINPROGRESS {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .failed("connecting to \(address) port \(port): \(reason)")
        }
        do {
            try deadline.wait(fd, for: Int16(POLLOUT))
        } catch {
            close(fd)
            throw error
        }
        var status: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &status, &size)
        guard status == 0 else {
            close(fd)
            throw .failed("connecting to \(address) port \(port): \(String(cString: strerror(status)))")
        }
        return fd
    }

    /// `address` and `port` as a socket address and its length.
    private static func socketAddress(_ address: IPAddress, port: Int) -> (sockaddr_storage, socklen_t) {
        var storage = sockaddr_storage()
        let networkPort = in_port_t(UInt16(port).bigEndian)
        /// Copies `value` into `storage` with `address.bytes` at `field` (the address's offset), returns its size.
        func store<T>(_ value: T, addressAt field: Int) -> socklen_t {
            withUnsafeMutableBytes(of: &storage) { s in
                withUnsafeBytes(of: value) { s.copyMemory(from: $0) }
                s.baseAddress!.advanced(by: field).copyMemory(from: address.bytes, byteCount: address.bytes.count)
            }
            return socklen_t(MemoryLayout<T>.size)
        }
        if address.bytes.count == 4 {
            var v4 = sockaddr_in()
            (v4.sin_family, v4.sin_port) = (sa_family_t(AF_INET), networkPort)
            let length = store(v4, addressAt: MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!)
            return (storage, length)
        }
        var v6 = sockaddr_in6()
        (v6.sin6_family, v6.sin6_port) = (sa_family_t(AF_INET6), networkPort)
        let length = store(v6, addressAt: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!)
        return (storage, length)
    }

    /// Reads the response: its head (at most ``maximumHeadBytes``), then the body by its framing.
    private func read(_ stream: any FetchStream) throws(FetchError) -> Response {
        var buffer = ReadBuffer()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { chunk.deallocate() }
        /// Appends what the peer sent next; false at the end of the stream.
        func receive() throws(FetchError) -> Bool {
            let n = try stream.receive(chunk)
            buffer.append(UnsafeRawBufferPointer(rebasing: chunk[..<n]))
            return n > 0
        }
        var headEnd = Self.endOfHead(buffer)
        while headEnd == nil {
            guard buffer.count < Self.maximumHeadBytes else { throw .failed("the response head is larger than \(Self.maximumHeadBytes) bytes") }
            guard try receive() else { throw .failed("the connection closed before the response head ended") }
            headEnd = Self.endOfHead(buffer)
        }
        let head = try ResponseHead(Array(buffer[0..<headEnd!]))
        buffer.consume(headEnd!)
        // Only a 200's body is read; a redirect's or an error's is not needed.
        guard head.status == 200 else { return Response(status: head.status, location: head.location, body: []) }
        let limit = policy.maximumBytes
        var body: [UInt8] = []
        if head.chunked {
            var decoder = ChunkedDecoder()
            while true {
                do {
                    if try decoder.decode(&buffer, into: &body, maxBodyBytes: limit, maxTrailerBytes: Self.maximumHeadBytes) { break }
                } catch {
                    throw error.status == .contentTooLarge ? .tooLarge(limit: limit) : .failed("the chunked body is malformed: \(error.message)")
                }
                guard try receive() else { throw .failed("the connection closed inside the chunked body") }
            }
        } else if let length = head.contentLength {
            guard length <= limit else { throw .tooLarge(limit: limit) }
            while buffer.count < length {
                guard try receive() else { throw .failed("the connection closed after \(buffer.count) of \(length) body bytes") }
            }
            body = Array(buffer[0..<length])
        } else {
            var ended = false
            while !ended {
                guard buffer.count <= limit else { throw .tooLarge(limit: limit) }
                ended = try !receive()
            }
            guard buffer.count <= limit else { throw .tooLarge(limit: limit) }
            body = Array(buffer[0..<buffer.count])
        }
        return Response(status: head.status, location: head.location, body: body)
    }

    /// The offset just past the blank line ending the head, if it has arrived.
    private static func endOfHead(_ buffer: ReadBuffer) -> Int? {
        var from = 0
        while let lf = buffer.firstIndex(of: UInt8(ascii: "\n"), from: from, limit: maximumHeadBytes) {
            if lf >= 3, buffer[lf - 1] == UInt8(ascii: "\r"), buffer[lf - 2] == UInt8(ascii: "\n"), buffer[lf - 3] == UInt8(ascii: "\r") {
                return lf + 1
            }
            from = lf + 1
        }
        return nil
    }

    static func systemResolve(_ host: String) throws(FetchError) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else { throw .failed("\(ClientText.quoted(host)) does not resolve: \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var node = list
        while let n = node {
            if n.pointee.ai_family == AF_INET {
                n.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                    addresses.append(IPAddress(bytes: withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) }))
                }
            } else if n.pointee.ai_family == AF_INET6 {
                n.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    addresses.append(IPAddress(bytes: withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }))
                }
            }
            node = n.pointee.ai_next
        }
        var unique: [IPAddress] = []
        for a in addresses where !unique.contains(a) { unique.append(a) }
        return unique
    }
}

#if canImport(Glibc)
private let socketConnect = Glibc.connect
#else
private let socketConnect = Darwin.connect
#endif

/// A response's status line and the header fields the fetcher uses.
struct ResponseHead {
    var status: Int
    var contentLength: Int?
    var chunked = false
    var location: String?

    init(_ bytes: [UInt8]) throws(FetchError) {
        let lines = bytes.split(separator: UInt8(ascii: "\n")).map { $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0 }
        let parts = (lines.first ?? []).split(separator: UInt8(ascii: " "), maxSplits: 2).map { String(decoding: $0, as: UTF8.self) }
        guard parts.count >= 2, parts[0].utf8.count == 8, parts[0].hasPrefix("HTTP/1."), Syntax.isDigits(parts[0].utf8.suffix(1)),
              parts[1].utf8.count == 3, Syntax.isDigits(parts[1].utf8), let status = Int(parts[1]) else {
            throw .failed("the response does not start with an HTTP/1.x status line")
        }
        self.status = status
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .failed("a response header line has no colon") }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = Syntax.decodeFieldValue(Syntax.trimmingWhitespace(line[(colon + 1)...]))
            switch name {
            case "content-length":
                guard value.utf8.count <= 18, Syntax.isDigits(value.utf8), let n = Int(value), contentLength == nil || contentLength == n else {
                    throw .failed("the response's Content-Length is not a number")
                }
                contentLength = n
            case "transfer-encoding":
                guard value.lowercased() == "chunked" else { throw .failed("the response's Transfer-Encoding \(ClientText.quoted(value)) is not supported") }
                chunked = true
            case "location":
                location = value
            default:
                break
            }
        }
    }
}

