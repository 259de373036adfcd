import Foundation
import TestSupport
import Testing
@testable import HTTP

/// The URL fetcher against origins on loopback: what it fetches, and each refusal (SSRF):
/// hosts not allowed, special-range addresses (loopback, link-local, private, unique local)
/// however the name resolves, redirects off the host, oversized and slow bodies, odd URLs.
@Suite(.timeLimit(.minutes(1))) struct URLFetcherTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47] + Array(repeating: 7, count: 3000)

    /// A policy allowing the origin's own address.
    static func policy(_ origin: ScriptedOrigin) throws -> FetchPolicy {
        FetchPolicy(allowed: [try FetchPolicy.Entry("127.0.0.1:\(origin.port)")])
    }

    @Test func fetchesFromAnAllowedHostWithTheToken() async throws {
        let origin = try ScriptedOrigin { _ in .response("200 OK", headers: ["Content-Length: \(Self.png.count)"], body: Self.png) }
        defer { origin.stop() }
        var policy = try Self.policy(origin)
        policy.authorization = "Token abc123"
        let body = try await fetch(URLFetcher(policy: policy), "http://127.0.0.1:\(origin.port)/data/upload/1/a.png?x=1#frag")
        #expect(body == Self.png)
        let head = try #require(origin.requests.first)
        #expect(head.hasPrefix("GET /data/upload/1/a.png?x=1 HTTP/1.1\r\n"))
        #expect(head.contains("\r\nHost: 127.0.0.1:\(origin.port)\r\n") && head.contains("\r\nAuthorization: Token abc123\r\n"))
    }

    @Test func readsChunkedAndCloseDelimitedBodies() async throws {
        let origin = try ScriptedOrigin { path in
            path == "/chunked"
                ? .response("200 OK", headers: ["Transfer-Encoding: chunked"], body: Array("4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n".utf8))
                : .response("200 OK", body: Array("until close".utf8))
        }
        defer { origin.stop() }
        let fetcher = URLFetcher(policy: try Self.policy(origin))
        #expect(try await fetch(fetcher, "http://127.0.0.1:\(origin.port)/chunked") == Array("abcdefg".utf8))
        #expect(try await fetch(fetcher, "http://127.0.0.1:\(origin.port)/close") == Array("until close".utf8))
    }

    @Test func refusesHostsNotAllowed() async throws {
        let origin = try ScriptedOrigin { _ in .response("200 OK", body: Self.png) }
        defer { origin.stop() }
        let fetcher = URLFetcher(policy: try Self.policy(origin))
        // Another port of the allowed host, the cloud metadata address, a private address, no list at all.
        await expectFetchError(fetcher, "http://127.0.0.1:\(origin.port == 65535 ? 1 : origin.port + 1)/", "not an allowed host")
        await expectFetchError(fetcher, "http://169.254.169.254/latest/meta-data/", "not an allowed host")
        await expectFetchError(fetcher, "http://10.0.0.1/", "not an allowed host")
        await expectFetchError(URLFetcher(policy: FetchPolicy(allowed: [])), "http://127.0.0.1:\(origin.port)/", "none is allowed")
        #expect(origin.requests.isEmpty)
    }

    @Test func refusesALoopbackNameUnlessItsAddressIsListed() async throws {
        let origin = try ScriptedOrigin { _ in .response("200 OK", headers: ["Content-Length: 2"], body: [1, 2]) }
        defer { origin.stop() }
        // "localhost" is allowed as a name, but it resolves to loopback.
        let byName = URLFetcher(policy: FetchPolicy(allowed: [try .init("localhost:\(origin.port)")]))
        await expectFetchError(byName, "http://localhost:\(origin.port)/a.png", "loopback")
        #expect(origin.requests.isEmpty)
        let listed = URLFetcher(policy: FetchPolicy(allowed: [try .init("localhost:\(origin.port)"), try .init("127.0.0.1"), try .init("::1")]),
                                resolve: { _ in [IPAddress(literal: "127.0.0.1")!] })
        #expect(try await fetch(listed, "http://localhost:\(origin.port)/a.png") == [1, 2])
    }

    /// Every resolved address is checked before any is tried: one special address among public ones refuses the name.
    @Test(arguments: ["169.254.169.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "127.0.0.1", "0.0.0.0",
                      "fc00::1", "fd12:3456::1", "fe80::1", "::1", "::", "::ffff:10.0.0.1"])
    func refusesANameResolvingToASpecialAddress(_ address: String) async throws {
        let fetcher = URLFetcher(policy: FetchPolicy(allowed: [try .init("images.example")]),
                                 resolve: { _ in [IPAddress(literal: "93.184.216.34")!, IPAddress(literal: address)!] })
        await expectFetchError(fetcher, "http://images.example/a.png", "resolves to")
    }

    @Test func classifiesSpecialRanges() {
        for special in ["10.255.0.1", "172.16.0.0", "172.31.0.1", "192.168.0.1", "169.254.0.1", "127.1.2.3", "0.1.2.3", "100.64.0.1",
                        "224.0.0.1", "255.255.255.255", "fc00::", "fdff::1", "fe80::1", "ff02::1", "::", "::1", "::ffff:192.168.0.1"] {
            #expect(IPAddress(literal: special)?.specialRange != nil, "\(special)")
        }
        for general in ["172.15.255.255", "172.32.0.0", "192.169.0.1", "8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"] {
            #expect(IPAddress(literal: general)?.specialRange == nil, "\(general)")
        }
    }

    @Test func followsRedirectsOnlyOnTheSameHost() async throws {
        let origin = try ScriptedOrigin { path in
            switch path {
            case "/same": .response("302 Found", headers: ["Location: /real.png", "Content-Length: 0"])
            case "/elsewhere": .response("301 Moved", headers: ["Location: http://127.0.0.2:80/real.png", "Content-Length: 0"])
            case "/metadata": .response("307 Temporary", headers: ["Location: http://169.254.169.254/", "Content-Length: 0"])
            case "/loop": .response("302 Found", headers: ["Location: /loop", "Content-Length: 0"])
            default: .response("200 OK", headers: ["Content-Length: 3"], body: [1, 2, 3])
            }
        }
        defer { origin.stop() }
        let fetcher = URLFetcher(policy: try Self.policy(origin))
        #expect(try await fetch(fetcher, "http://127.0.0.1:\(origin.port)/same") == [1, 2, 3])
        await expectFetchError(fetcher, "http://127.0.0.1:\(origin.port)/elsewhere", "redirects to another host")
        await expectFetchError(fetcher, "http://127.0.0.1:\(origin.port)/metadata", "redirects to another host")
        await expectFetchError(fetcher, "http://127.0.0.1:\(origin.port)/loop", "more than 3 redirects")
    }

    @Test func refusesOversizedBodies() async throws {
        let big = [UInt8](repeating: 1, count: 5000)
        let origin = try ScriptedOrigin { path in
            switch path {
            case "/declared": .response("200 OK", headers: ["Content-Length: 5000"], body: big)
            case "/chunked": .response("200 OK", headers: ["Transfer-Encoding: chunked"], body: Array("1388\r\n".utf8) + big + Array("\r\n0\r\n\r\n".utf8))
            default: .response("200 OK", body: big)
            }
        }
        defer { origin.stop() }
        var policy = try Self.policy(origin)
        policy.maximumBytes = 4096
        let fetcher = URLFetcher(policy: policy)
        for path in ["/declared", "/chunked", "/close"] {
            await expectFetchError(fetcher, "http://127.0.0.1:\(origin.port)\(path)", "larger than 4096 bytes")
        }
    }

    @Test func cutsOffASlowBodyAtTheTimeCap() async throws {
        let origin = try ScriptedOrigin { _ in
            .init(pieces: [Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".utf8)] + Array(repeating: [7], count: 100), pause: .milliseconds(50))
        }
        defer { origin.stop() }
        var policy = try Self.policy(origin)
        policy.timeout = .milliseconds(500)
        let start = ContinuousClock.now
        await expectFetchError(URLFetcher(policy: policy), "http://127.0.0.1:\(origin.port)/slow.png", "took longer than 0.5 s")
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    /// An error answer's body is not read: a large one is still reported as the error it is.
    @Test func refusesNon200Answers() async throws {
        let origin = try ScriptedOrigin { _ in .response("404 Not Found", headers: ["Content-Length: 5000"], body: Array(repeating: 32, count: 5000)) }
        defer { origin.stop() }
        var policy = try Self.policy(origin)
        policy.maximumBytes = 4096
        await expectFetchError(URLFetcher(policy: policy), "http://127.0.0.1:\(origin.port)/x", "answered HTTP 404")
    }

    @Test(arguments: [
        ("http://user:pass@127.0.0.1/a.png", "user information"),
        ("http://127.0.0.1@169.254.169.254/", "user information"),
        ("http://127.0.0.1:0/", "not a number in 1...65535"),
        ("http://127.0.0.1:65536/", "not a number in 1...65535"),
        ("http://127.0.0.1:8o/", "not a number in 1...65535"),
        ("http://127.0.0.1:/", "not a number in 1...65535"),
        ("https://127.0.0.1/", "'127.0.0.1' port 443 is not an allowed host"),
        ("https://user@127.0.0.1:80/", "user information"),
        ("ftp://127.0.0.1/", "only http:// and https://"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("http://[::1/", "not closed"),
        ("http://[127.0.0.1]/", "is not an IPv6 address"),
        ("http://exa mple/", "a space"),
        ("http://%31%32%37.0.0.1/", "characters a host name cannot have"),
        ("http:///path", "characters a host name cannot have"),
    ])
    func refusesOddURLs(_ url: String, _ reason: String) async {
        await expectFetchError(URLFetcher(policy: FetchPolicy(allowed: [try! .init("127.0.0.1")])), url, reason)
    }

    @Test func ipv6LiteralsMatchTheirEntry() throws {
        let url = try FetchURL("http://[0:0:0:0:0:0:0:1]:8080/a")
        #expect(url.host == "0:0:0:0:0:0:0:1" && url.port == 8080 && url.target == "/a")
        try FetchPolicy(allowed: [try .init("[::1]:8080")]).check(url)
        #expect(throws: FetchError.self) { try FetchPolicy(allowed: [try .init("[::1]:8081")]).check(url) }
    }
}
