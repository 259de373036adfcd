#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The byte stream one fetch writes its request to and reads its response from: the socket
/// itself (``SocketStream``), or TLS over it (``FetchTLSSession``). Every wait ends at the
/// fetch's deadline.
protocol FetchStream {
    func send(_ bytes: [UInt8]) throws(FetchError)
    /// Reads what the peer sent next into `buffer`; 0 at the end of the stream.
    func receive(_ buffer: UnsafeMutableRawBufferPointer) throws(FetchError) -> Int
}

/// When a fetch must be over, and the cap it comes from (for the message).
struct FetchDeadline {
    var instant: ContinuousClock.Instant
    var timeout: Duration

    /// Waits until `fd` is ready for `events`, or throws when the deadline passes first.
    func wait(_ fd: Int32, for events: Int16) throws(FetchError) {
        while true {
            let left = instant - .now
            guard left > .zero else { throw .timedOut(seconds: timeout.seconds) }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let milliseconds = Int32(clamping: max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            let n = poll(&entry, 1, milliseconds)
            if n > 0 { return }
            if n < 0 && errno != EINTR { throw .failed("poll: \(String(cString: strerror(errno)))") }
        }
    }
}

/// Plain TCP on a connected non-blocking socket.
struct SocketStream: FetchStream {
    let fd: Int32
    let deadline: FetchDeadline

    func send(_ bytes: [UInt8]) throws(FetchError) {
        var sent = 0
        while sent < bytes.count {
            try deadline.wait(fd, for: Int16(POLLOUT))
            let n = bytes[sent...].withUnsafeBytes { Socket.sendBytes(fd, $0) }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard n > 0 else { throw .failed("sending: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    func receive(_ buffer: UnsafeMutableRawBufferPointer) throws(FetchError) -> Int {
        while true {
            try deadline.wait(fd, for: Int16(POLLIN))
            let n = Socket.receiveBytes(fd, buffer)
            if n >= 0 { return n }
            if errno != EAGAIN && errno != EINTR { throw .failed("reading the response: \(String(cString: strerror(errno)))") }
        }
    }
}
