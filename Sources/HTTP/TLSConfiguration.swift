/// TLS for the listening socket: TLS 1.2 and 1.3 only, with modern AEAD ciphers.
///
/// A TLS connection is held to the same limits as a plain one; the TLS handshake
/// counts against the header deadline, so a client that stalls it is a slow client
/// and is dropped on time.
public struct TLSConfiguration: Sendable {
    /// A PEM file with the server certificate first, then any intermediates.
    public var certificateChainPath: String
    /// A PEM file with the certificate's private key (unencrypted).
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}

/// TLS could not be set up, with OpenSSL's explanation.
public struct TLSError: Error, CustomStringConvertible {
    public var description: String
}
