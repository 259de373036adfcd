import COpenSSL

/// TLS for an `https://` fetch, over a connected non-blocking socket: TLS 1.2 or newer; the
/// server's certificate chain verified against the trusted CAs (the system's store, or
/// ``FetchPolicy/trustedCertificates``) and its certificate checked to name the URL's host
/// (a DNS name, no partial wildcards, or an IP literal); SNI sent for a name. As in the
/// server's `TLSTransport`, OpenSSL works on memory BIOs and the socket is read and written
/// by ``SocketStream`` (`MSG_NOSIGNAL`, every wait bounded by the fetch's deadline). The
/// handshake runs in `init`.
final class FetchTLSSession: FetchStream {
    /// The most ciphertext read from the socket at once.
    private static let receiveSize = 16 * 1024

    private let socket: SocketStream
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    /// Ciphertext from the server, for OpenSSL to read.
    private let networkIn: OpaquePointer
    /// Ciphertext OpenSSL wrote, for the server.
    private let networkOut: OpaquePointer
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: FetchTLSSession.receiveSize, alignment: 1)

    init(_ socket: SocketStream, host: String, trustedCertificates: String?) throws(FetchError) {
        self.socket = socket
        let context = try Self.context(trustedCertificates: trustedCertificates)
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw Self.failure("SSL_new")
        }
        guard let networkIn = BIO_new(BIO_s_mem()), let networkOut = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw Self.failure("BIO_new")
        }
        SSL_set_bio(ssl, networkIn, networkOut)  // The SSL now owns both BIOs.
        (self.context, self.ssl, self.networkIn, self.networkOut) = (context, ssl, networkIn, networkOut)
        if IPAddress(literal: host) != nil {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else { throw Self.failure("setting the address to verify") }
        } else {
            SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            let named = host.withCString { name in
                SSL_set1_host(ssl, name) == 1
                    && SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: name)) == 1
            }
            guard named else { throw Self.failure("setting the host name to verify") }
        }
        SSL_set_connect_state(ssl)
        try handshake()
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
        scratch.deallocate()
    }

    func send(_ bytes: [UInt8]) throws(FetchError) {
        var sent = 0
        while sent < bytes.count {
            ERR_clear_error()
            let n = bytes[sent...].withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32(clamping: $0.count)) }
            if n > 0 {
                sent += Int(n)
                try flush()
            } else {
                try proceed(n, "sending the request")
            }
        }
    }

    func receive(_ buffer: UnsafeMutableRawBufferPointer) throws(FetchError) -> Int {
        while true {
            ERR_clear_error()
            let n = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
            if n > 0 { return Int(n) }
            if SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN { return 0 }
            try proceed(n, "reading the response")
        }
    }

    /// A client context: TLS 1.2 or newer, peers verified against `trustedCertificates` (a PEM
    /// file of CA certificates) or the system's store.
    private static func context(trustedCertificates: String?) throws(FetchError) -> OpaquePointer {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw failure("SSL_CTX_new") }
        let loaded = trustedCertificates.map { SSL_CTX_load_verify_locations(context, $0, nil) } ?? SSL_CTX_set_default_verify_paths(context)
        guard SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1, loaded == 1 else {
            SSL_CTX_free(context)
            throw failure("loading the trusted certificates \(trustedCertificates.map { "from \($0)" } ?? "of the system")")
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        return context
    }

    private func handshake() throws(FetchError) {
        while true {
            ERR_clear_error()
            let n = SSL_do_handshake(ssl)
            if n == 1 { return try flush() }
            try proceed(n, "the TLS handshake")
        }
    }

    /// After an OpenSSL call returned `result` <= 0: sends what it wrote and, when it wants to
    /// read, gives it the ciphertext the server sends next; throws on any other error (a
    /// certificate not verified is a refusal, named as such).
    private func proceed(_ result: Int32, _ step: String) throws(FetchError) {
        guard SSL_get_error(ssl, result) == SSL_ERROR_WANT_READ else {
            let verified = SSL_get_verify_result(ssl)
            if verified != Int(X509_V_OK) {
                throw .refused("\(step): the server's certificate is not accepted: \(String(cString: X509_verify_cert_error_string(verified)))")
            }
            throw Self.failure(step)
        }
        try flush()
        let n = try socket.receive(scratch)
        guard n > 0 else { throw .failed("\(step): the server closed the connection without ending TLS (no close_notify)") }
        BIO_write(networkIn, scratch.baseAddress, Int32(n))
    }

    /// Sends the ciphertext OpenSSL has written.
    private func flush() throws(FetchError) {
        let available = BIO_ctrl_pending(networkOut)
        guard available > 0 else { return }
        var pending = [UInt8](repeating: 0, count: available)
        let taken = pending.withUnsafeMutableBytes { BIO_read(networkOut, $0.baseAddress, Int32(clamping: available)) }
        try socket.send(Array(pending.prefix(max(0, Int(taken)))))
    }

    /// The failed step with the OpenSSL error queue's first reason, clearing the queue.
    private static func failure(_ step: String) -> FetchError {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return .failed("\(step) failed (TLS)") }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return .failed("\(step) failed (TLS): \(String(decoding: text.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self))")
    }
}
