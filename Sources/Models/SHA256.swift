import COpenSSL
import Foundation

/// SHA-256 of files, through OpenSSL's EVP interface (libcrypto).
public enum SHA256 {
    /// The lowercase hexadecimal digest of the file at `path`, read in 4 MiB blocks.
    public static func hex(ofFile path: String) throws(ModelError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .load(model: path, reason: "cannot open the file to check its checksum")
        }
        defer { try? handle.close() }
        guard let context = EVP_MD_CTX_new() else { throw .load(model: path, reason: "cannot allocate a digest context") }
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        while true {
            let block: Data
            do {
                block = try handle.read(upToCount: 4 << 20) ?? Data()
            } catch {
                throw .load(model: path, reason: "read error while checking the checksum: \(error.localizedDescription)")
            }
            if block.isEmpty { break }
            block.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
