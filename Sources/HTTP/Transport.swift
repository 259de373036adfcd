#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which readiness of the socket an operation waits for.
enum IOInterest {
    case readable
    case writable
}

/// What one read or write on a ``Transport`` achieved.
enum IOResult {
    /// This many bytes were moved (always more than zero).
    case transferred(Int)
    /// Nothing can move until the socket becomes readable or writable. Over TLS a
    /// read may wait for writability (and a write for readability) mid-handshake.
    case wouldBlock(IOInterest)
    /// The peer closed its sending side cleanly.
    case closed
    /// The connection failed (reset, broken pipe, TLS error).
    case failed
}

/// What pushing a transport's own buffered output to the socket achieved.
enum FlushResult {
    case flushed
    case wouldBlock(IOInterest)
    case failed
}

/// A connected, non-blocking byte stream: the TCP socket itself, or TLS over it.
///
/// The connection's parser and state machine see only this, so TLS slots in below
/// them. Implementations are used from one serial queue at a time.
protocol Transport: AnyObject {
    /// The socket, for readiness notifications.
    var fileDescriptor: Int32 { get }
    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult
    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult
    /// Whether bytes that `write` accepted still wait inside the transport (TLS
    /// records the socket had no room for yet).
    var hasBufferedOutput: Bool { get }
    /// Sends what ``hasBufferedOutput`` reports.
    func flushBufferedOutput() -> FlushResult
    /// Ends the sending direction (TLS sends `close_notify` first) while reading
    /// stays possible, for a lingering close.
    func shutdownOutput()
    /// Releases everything, the socket included.
    func close()
}

/// Plain TCP.
final class SocketTransport: Transport {
    let fileDescriptor: Int32

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let n = Socket.receiveBytes(fileDescriptor, buffer)
            if n > 0 { return .transferred(n) }
            if n == 0 { return .closed }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock(.readable) : .failed
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let n = Socket.sendBytes(fileDescriptor, bytes)
            if n > 0 { return .transferred(n) }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock(.writable) : .failed
        }
    }

    var hasBufferedOutput: Bool { false }

    func flushBufferedOutput() -> FlushResult {
        .flushed
    }

    func shutdownOutput() {
        Socket.shutdownOutput(fileDescriptor)
    }

    func close() {
        Socket.closeDescriptor(fileDescriptor)
    }
}
