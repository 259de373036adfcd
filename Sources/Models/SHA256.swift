import COpenSSL
import Foundation

/// SHA-256 of files and byte arrays, through OpenSSL's EVP interface (libcrypto).
public enum SHA256 {
    /// Why a file's digest could not be computed; the message names the file.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot compute the SHA-256 of '\(path)': \(reason)" }
    }

    /// The lowercase hexadecimal digest of the file at `path`, read in 4 MiB blocks.
    public static func hex(ofFile path: String) throws(Failure) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Failure(path: path, reason: "the file cannot be opened")
        }
        defer { try? handle.close() }
        return try digest(path: path) { () throws(Failure) -> Data in
            do {
                return try handle.read(upToCount: 4 << 20) ?? Data()
            } catch {
                throw Failure(path: path, reason: "read error: \(error.localizedDescription)")
            }
        }
    }

    /// The lowercase hexadecimal digest of `bytes` (an image already read, so that the hash
    /// is of exactly the bytes used); `name` names them in the error.
    public static func hex(of bytes: [UInt8], name: String) throws(Failure) -> String {
        var pending: Data? = Data(bytes)
        return try digest(path: name) { () throws(Failure) -> Data in
            defer { pending = nil }
            return pending ?? Data()
        }
    }

    /// Digests the blocks `next` returns until it returns an empty one.
    private static func digest(path: String, next: () throws(Failure) -> Data) throws(Failure) -> String {
        guard let context = EVP_MD_CTX_new() else { throw Failure(path: path, reason: "no digest context could be allocated") }
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        while true {
            let block = try next()
            if block.isEmpty { break }
            block.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
