#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HTTPServer {
    /// Where the server listens and the limits it enforces on every client.
    ///
    /// The defaults suit a service facing the open network: every buffer a client
    /// can make the server fill is capped, and every wait on a client is bounded, so
    /// a slow or hostile client costs at most one connection slot for a short time.
    public struct Configuration: Sendable {
        /// The address to bind: an IPv4 or IPv6 literal or a host name. `0.0.0.0`
        /// or `::` listens on every interface.
        public var host: String
        /// The TCP port; `0` lets the system choose (``HTTPServer/start()`` reports it).
        public var port: Int
        /// TLS settings; `nil` serves plain HTTP.
        public var tls: TLSConfiguration?
        /// The kernel's queue of connections not yet accepted.
        public var backlog: Int32
        /// How many serial Dispatch queues run connection I/O (each connection lives
        /// on one). This bounds the threads the server's I/O can occupy, however
        /// many connections are open; one per core is plenty, since no I/O blocks.
        public var eventLoopCount: Int

        /// The longest request target (path and query) accepted, in bytes; longer
        /// gets 414. Real targets are short; a cap stops megabyte URLs.
        public var maxTargetLength: Int
        /// The largest header section accepted (field lines with their CRLFs, the
        /// request line not counted), in bytes; more gets 431. Trailers of chunked
        /// bodies are held to the same cap.
        public var maxHeaderBytes: Int
        /// The most header fields accepted; more gets 431. Bounds per-field work
        /// even when each field is tiny.
        public var maxHeaderCount: Int
        /// The largest request body accepted, in bytes; more gets 413, decided from
        /// `Content-Length` before any body byte is read, or as soon as a chunked
        /// body passes it. The whole body is held in memory, so this is also the
        /// memory one request can pin.
        public var maxBodyBytes: Int

        /// How long a client has to send a whole request line and header section,
        /// counted from its first byte (from the accept for a new connection). A
        /// client trickling header bytes (slowloris) is cut off at this deadline.
        public var headerTimeout: Duration
        /// The longest pause allowed between two reads of body bytes; a client
        /// stalling mid-body (slow POST) is cut off after it.
        public var bodyIdleTimeout: Duration
        /// How long a client has to send a whole body, counted from the end of its
        /// header section. The idle timeout alone restarts on every byte, so a client
        /// trickling one byte just inside it could hold its slot for ever; this is
        /// the overall deadline that stops it.
        public var bodyTimeout: Duration
        /// The slowest average body transfer tolerated, in bytes per second, judged
        /// once ``bodyRateGracePeriod`` has passed since the body began (0 turns the
        /// check off). Cuts off a slow-body client within seconds instead of at the
        /// overall deadline, so a crowd of them cannot keep every slot taken; an honest
        /// client on a poor link sends far faster.
        public var minBodyBytesPerSecond: Int
        /// How long a body may arrive before its average rate is judged against
        /// ``minBodyBytesPerSecond``: room for TCP slow start and a client's pause
        /// after `100 Continue`.
        public var bodyRateGracePeriod: Duration
        /// How long an idle keep-alive connection waits for its next request before
        /// the server closes it. Behind a load balancer, keep this longer than the
        /// balancer's own idle timeout so the balancer closes first.
        public var keepAliveTimeout: Duration
        /// The longest pause allowed while a response is being written and the
        /// client is not reading; the connection is dropped after it.
        public var writeTimeout: Duration
        /// How long a closing connection keeps reading and discarding what the client
        /// still sends after an error response, so that closing does not reset the
        /// connection and destroy the response before the client reads it.
        public var lingerTimeout: Duration

        /// The most requests served on one connection; the last one is answered
        /// with `Connection: close`. Spreads long-lived clients across instances.
        public var maxRequestsPerConnection: Int
        /// The most connections open at once; beyond it a new connection gets a
        /// 503 and is closed right away. Every connection costs a file descriptor
        /// and buffers, so this is what keeps overload from becoming collapse.
        /// At the cap, the longest-idle keep-alive connection is closed to make room
        /// before a new connection is refused, so idle clients cannot hold every slot.
        public var maxConnections: Int
        /// The most connections open at once from one client address; beyond it a
        /// new connection from that address gets a 503 and is closed. Keeps one host
        /// from taking every slot of ``maxConnections``. Behind a proxy that funnels
        /// every client through one address, raise it to ``maxConnections``.
        public var maxConnectionsPerAddress: Int
        /// The most bytes a lingering close reads and discards before closing anyway,
        /// so a client refused early (say, unauthenticated) cannot make the server
        /// read its whole body for nothing.
        public var maxLingerBytes: Int

        public init(
            host: String = "127.0.0.1",
            port: Int = 8080,
            tls: TLSConfiguration? = nil,
            backlog: Int32 = 512,
            eventLoopCount: Int = HTTPServer.Configuration.processorCount,
            maxTargetLength: Int = 8 * 1024,
            maxHeaderBytes: Int = 32 * 1024,
            maxHeaderCount: Int = 100,
            maxBodyBytes: Int = 16 * 1024 * 1024,
            headerTimeout: Duration = .seconds(10),
            bodyIdleTimeout: Duration = .seconds(10),
            bodyTimeout: Duration = .seconds(60),
            minBodyBytesPerSecond: Int = 1024,
            bodyRateGracePeriod: Duration = .seconds(5),
            keepAliveTimeout: Duration = .seconds(75),
            writeTimeout: Duration = .seconds(30),
            lingerTimeout: Duration = .seconds(2),
            maxRequestsPerConnection: Int = 1000,
            maxConnections: Int = 1024,
            maxConnectionsPerAddress: Int = 256,
            maxLingerBytes: Int = 256 * 1024
        ) {
            self.host = host
            self.port = port
            self.tls = tls
            self.backlog = backlog
            self.eventLoopCount = max(1, eventLoopCount)
            self.maxTargetLength = maxTargetLength
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBodyBytes = maxBodyBytes
            self.headerTimeout = headerTimeout
            self.bodyIdleTimeout = bodyIdleTimeout
            self.bodyTimeout = bodyTimeout
            self.minBodyBytesPerSecond = max(0, minBodyBytesPerSecond)
            self.bodyRateGracePeriod = bodyRateGracePeriod
            self.keepAliveTimeout = keepAliveTimeout
            self.writeTimeout = writeTimeout
            self.lingerTimeout = lingerTimeout
            self.maxRequestsPerConnection = maxRequestsPerConnection
            self.maxConnections = maxConnections
            self.maxConnectionsPerAddress = maxConnectionsPerAddress
            self.maxLingerBytes = maxLingerBytes
        }

        /// The number of processors online.
        public static var processorCount: Int {
            max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        }

        var parserLimits: RequestParser.Limits {
            RequestParser.Limits(
                maxTargetLength: maxTargetLength,
                maxHeaderBytes: maxHeaderBytes,
                maxHeaderCount: maxHeaderCount,
                maxBodyBytes: maxBodyBytes
            )
        }
    }
}
