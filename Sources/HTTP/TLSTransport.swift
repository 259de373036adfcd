import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TLS over a non-blocking socket, through OpenSSL memory BIOs.
///
/// OpenSSL never touches the socket: ciphertext from the socket is fed into one
/// memory BIO and ciphertext OpenSSL produces is taken out of another and sent with
/// `MSG_NOSIGNAL`, so readiness, timeouts and SIGPIPE stay under the connection's
/// control exactly as for plain TCP. The handshake happens inside the first reads.
final class TLSTransport: Transport {
    /// The most ciphertext read from the socket at once.
    private static let receiveSize = 64 * 1024
    /// The most plaintext encrypted per write (four full TLS records).
    private static let writeSize = 64 * 1024

    let fileDescriptor: Int32
    private let ssl: OpaquePointer
    /// Ciphertext received from the client, for OpenSSL to read.
    private let networkIn: OpaquePointer
    /// Ciphertext OpenSSL wrote, for the client.
    private let networkOut: OpaquePointer
    /// Ciphertext taken from `networkOut` that the socket has not taken yet.
    private var pending: [UInt8] = []
    private var pendingOffset = 0

    init?(context: TLSContext, fileDescriptor: Int32) {
        guard let ssl = SSL_new(context.context) else { return nil }
        guard let networkIn = BIO_new(BIO_s_mem()), let networkOut = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            return nil
        }
        SSL_set_bio(ssl, networkIn, networkOut)  // The SSL now owns both BIOs.
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.networkIn = networkIn
        self.networkOut = networkOut
        self.fileDescriptor = fileDescriptor
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            // OpenSSL's error queue is per thread, and a connection's work moves
            // between threads: clear it so SSL_get_error sees only this call.
            ERR_clear_error()
            let n = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
            if n > 0 {
                // Reading may have produced output too (TLS 1.3 session tickets).
                if case .failed = flushBufferedOutput() { return .failed }
                return .transferred(Int(n))
            }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_WANT_READ:
                // Handshake messages must reach the client before it sends more.
                switch flushBufferedOutput() {
                case .flushed: break
                case .wouldBlock(let interest): return .wouldBlock(interest)
                case .failed: return .failed
                }
                let received = receiveCiphertext()
                guard case .transferred = received else { return received }
            case SSL_ERROR_ZERO_RETURN:
                return .closed
            default:
                if Int32(ERR_GET_REASON(ERR_peek_error())) == SSL_R_HTTP_REQUEST {
                    answerPlainHTTP()
                } else {
                    _ = flushBufferedOutput()  // The alert telling the client why, if any.
                }
                ERR_clear_error()
                return .failed
            }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        // Encrypt more only once earlier records are on their way, so that the
        // ciphertext held here stays bounded by one write's worth.
        switch flushBufferedOutput() {
        case .flushed: break
        case .wouldBlock(let interest): return .wouldBlock(interest)
        case .failed: return .failed
        }
        while true {
            ERR_clear_error()
            let n = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Self.writeSize)))
            if n > 0 {
                if case .failed = flushBufferedOutput() { return .failed }
                return .transferred(Int(n))
            }
            // Writing before the handshake is done (a timeout answer) needs its reads.
            guard SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ else {
                ERR_clear_error()
                return .failed
            }
            let received = receiveCiphertext()
            guard case .transferred = received else { return received }
        }
    }

    var hasBufferedOutput: Bool {
        pendingOffset < pending.count || BIO_ctrl_pending(networkOut) > 0
    }

    func flushBufferedOutput() -> FlushResult {
        while true {
            if pendingOffset == pending.count {
                let available = BIO_ctrl_pending(networkOut)
                guard available > 0 else {
                    pending = []
                    pendingOffset = 0
                    return .flushed
                }
                pending = [UInt8](repeating: 0, count: available)
                let taken = pending.withUnsafeMutableBytes { BIO_read(networkOut, $0.baseAddress, Int32(clamping: available)) }
                pending.removeLast(available - max(0, Int(taken)))
                pendingOffset = 0
            }
            let n = pending.withUnsafeBytes { Socket.sendBytes(fileDescriptor, UnsafeRawBufferPointer(rebasing: $0[pendingOffset...])) }
            if n > 0 {
                pendingOffset += n
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return .wouldBlock(.writable)
            } else if errno != EINTR {
                return .failed
            }
        }
    }

    func shutdownOutput() {
        ERR_clear_error()
        SSL_shutdown(ssl)  // Queues close_notify.
        _ = flushBufferedOutput()
        Socket.shutdownOutput(fileDescriptor)
    }

    func close() {
        SSL_free(ssl)
        Socket.closeDescriptor(fileDescriptor)
    }

    /// Moves what the socket has into `networkIn`.
    private func receiveCiphertext() -> IOResult {
        withUnsafeTemporaryAllocation(byteCount: Self.receiveSize, alignment: 1) { scratch in
            while true {
                let n = Socket.receiveBytes(fileDescriptor, scratch)
                if n > 0 {
                    BIO_write(networkIn, scratch.baseAddress, Int32(n))
                    return .transferred(n)
                }
                if n == 0 { return .closed }
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock(.readable) : .failed
            }
        }
    }

    /// A plain HTTP request reached the TLS port: say so in plain HTTP (one attempt,
    /// no waiting) rather than just hanging up.
    private func answerPlainHTTP() {
        guard let bytes = ResponseSerializer.serialize(HTTPError.tlsRequired.response, headOnly: false, persistence: .close) else {
            return
        }
        _ = bytes.withUnsafeBytes { Socket.sendBytes(fileDescriptor, $0) }
    }
}
