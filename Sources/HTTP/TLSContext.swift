import COpenSSL

/// An OpenSSL server context (`SSL_CTX`) built from a ``TLSConfiguration``; shared by
/// all TLS connections, which OpenSSL allows from any thread once it is set up.
final class TLSContext: @unchecked Sendable {
    /// TLS 1.2 AEAD suites with forward secrecy (TLS 1.3 suites are all fine and keep
    /// OpenSSL's defaults).
    private static let tls12Ciphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// `SSL_OP_NO_RENEGOTIATION` (`SSL_OP_BIT(30)`, a macro Swift cannot import):
    /// a client-initiated TLS 1.2 renegotiation is a cheap way to make the server
    /// do expensive handshakes.
    private static let noRenegotiation: UInt64 = 1 << 30

    let context: OpaquePointer

    init(configuration: TLSConfiguration) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw Self.error("SSL_CTX_new")
        }
        self.context = context
        guard SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1 else {
            throw Self.error("setting the minimum TLS version")
        }
        SSL_CTX_set_options(context, Self.noRenegotiation)
        guard SSL_CTX_set_cipher_list(context, Self.tls12Ciphers) == 1 else {
            throw Self.error("setting the cipher list")
        }
        guard SSL_CTX_use_certificate_chain_file(context, configuration.certificateChainPath) == 1 else {
            throw Self.error("loading the certificate chain \(configuration.certificateChainPath)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, configuration.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw Self.error("loading the private key \(configuration.privateKeyPath)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw Self.error("matching the private key to the certificate")
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// The failed step with the OpenSSL error queue's explanation, clearing the queue.
    static func error(_ step: String) -> TLSError {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            reasons.append(String(decoding: text.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self))
        }
        return TLSError(description: "TLS: \(step) failed" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")))
    }
}
