import ArgumentParser
import Foundation
import HTTP
import Service

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve explanations over HTTP/1.1 (POST /gradcam, POST /predict, the demo page at /).")

    @Option(help: "Address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "TCP port.")
    var port = 8080

    @Option(name: .customLong("models-dir"), help: "The models directory (manifest.json and *.onnx).")
    var modelsDirectory = "models"

    @Option(help: "Compute workers (default: one per core).")
    var workers: Int?

    @Option(help: "Compute threads per worker (default: cores / workers).")
    var threads: Int?

    @Option(help: "Requests that may wait for a worker; beyond, 503 with Retry-After.")
    var queue = 16

    @Option(name: .customLong("batch-size"),
            help: "Explanation requests for the same model, method and layer explained in one pass (TorchServe's batch_size; 1: no batching).")
    var batchSize = 1

    @Option(name: .customLong("max-batch-delay"),
            help: "Milliseconds a batch may wait to fill after its first request arrived (TorchServe's max_batch_delay; 0: only requests already queued).")
    var maxBatchDelay = 5.0

    @Option(help: "Seconds from a request's arrival to its answer; later requests are answered 503.")
    var timeout = 60.0

    @Option(name: .customLong("max-body-mb"), help: "Largest request body, in MiB (413 beyond).")
    var maxBodyMB = 20.0

    @Option(name: .customLong("max-image-megapixels"), help: "Largest decoded image, in megapixels (413 beyond).")
    var maxImageMegapixels = 50.0

    @Option(help: "Most open connections; at the cap the longest-idle keep-alive connection is closed, else 503 and close.")
    var connections = 1024

    @Option(name: .customLong("connections-per-address"),
            help: "Most open connections from one client address; beyond, 503 and close (behind a proxy, raise to --connections).")
    var connectionsPerAddress = 256

    @Option(name: .customLong("body-timeout"), help: "Seconds a client has to send a whole request body; later, 408 and close.")
    var bodyTimeout = 60.0

    @Option(name: .customLong("min-body-rate"),
            help: "Slowest average body upload tolerated after its first 5 s, in bytes/s (408 and close below; 0 turns the check off).")
    var minBodyRate = 1024

    @Option(name: .customLong("drain-announce"),
            help: "Seconds after SIGTERM during which /readyz answers 503 and the server still accepts, so load balancers see the drain.")
    var drainAnnounce = 5.0

    @Option(name: .customLong("drain-grace"),
            help: "Seconds after the announcement for requests in flight to finish (default: --timeout + 5); then 503 and close.")
    var drainGrace: Double?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (TLS 1.2 and newer) instead of HTTP.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("api-key-file"), help: "Require Authorization: Bearer <key> on POST endpoints; one key per line, reloaded on SIGHUP.")
    var apiKeyFile: String?

    @Flag(name: .customLong("protect-all"), help: "With --api-key-file, require a key on every endpoint (health, readiness and metrics included).")
    var protectAll = false

    @Option(name: .customLong("fetch-allow"), parsing: .upToNextOption,
            help: "Hosts (HOST or HOST:PORT, port 80 if not given: https:// URLs need HOST:443) the Label Studio backend may fetch task images from; a name must resolve to public addresses unless the address itself is listed.")
    var fetchAllow: [String] = []

    @Option(name: .customLong("fetch-ca-file"),
            help: "PEM file of the CA certificates https:// image hosts are verified against, instead of the system's store (a private CA).")
    var fetchCAFile: String?

    @Option(name: .customLong("label-studio-url"), help: "Label Studio's http://host:port, for task images given as /data/… paths (default: $LABEL_STUDIO_URL).")
    var labelStudioURL: String?

    @Option(name: .customLong("label-studio-token"), help: "Label Studio's access token, sent as Authorization: Token … when fetching task images (default: $LABEL_STUDIO_API_KEY).")
    var labelStudioToken: String?

    func validate() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        if let workers, !(1...256).contains(workers) { throw ValidationError("--workers must be 1...256") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be 1...256") }
        if let workers, let threads, workers * threads > cores {
            print("warning: \(workers) workers x \(threads) threads exceeds the \(cores) cores; expect contention", to: &standardError)
        }
        guard (0...100_000).contains(queue) else { throw ValidationError("--queue must be 0...100000") }
        guard (1...64).contains(batchSize) else { throw ValidationError("--batch-size must be 1...64") }
        guard maxBatchDelay >= 0 && maxBatchDelay <= 10_000 else { throw ValidationError("--max-batch-delay must be in [0, 10000] milliseconds") }
        guard timeout > 0 && timeout <= 3600 else { throw ValidationError("--timeout must be in (0, 3600] seconds") }
        guard maxBodyMB > 0 && maxBodyMB <= 1024 else { throw ValidationError("--max-body-mb must be in (0, 1024]") }
        guard maxImageMegapixels > 0 && maxImageMegapixels <= 500 else { throw ValidationError("--max-image-megapixels must be in (0, 500]") }
        guard (1...100_000).contains(connections) else { throw ValidationError("--connections must be 1...100000") }
        guard (1...100_000).contains(connectionsPerAddress) else { throw ValidationError("--connections-per-address must be 1...100000") }
        guard bodyTimeout > 0 && bodyTimeout <= 3600 else { throw ValidationError("--body-timeout must be in (0, 3600] seconds") }
        guard (0...1_000_000_000).contains(minBodyRate) else { throw ValidationError("--min-body-rate must be 0...1000000000 bytes/s") }
        guard drainAnnounce >= 0 && drainAnnounce <= 600 else { throw ValidationError("--drain-announce must be in [0, 600] seconds") }
        if let drainGrace, !(drainGrace >= 0 && drainGrace <= 7200) { throw ValidationError("--drain-grace must be in [0, 7200] seconds") }
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        if protectAll && apiKeyFile == nil { throw ValidationError("--protect-all needs --api-key-file") }
        if let fetchCAFile, !FileManager.default.isReadableFile(atPath: fetchCAFile) {
            throw ValidationError("--fetch-ca-file \(fetchCAFile): cannot read the file")
        }
        for entry in fetchAllow {
            do { _ = try FetchPolicy.Entry(entry) } catch { throw ValidationError("--fetch-allow \(entry): \(error)") }
        }
    }

    func run() async throws {
        MemoryPolicy.apply()
        var settings = ServiceConfiguration(workers: workers, threadsPerWorker: threads)
        settings.modelsDirectory = modelsDirectory
        settings.queueCapacity = queue
        settings.batching = .init(size: batchSize, maxDelay: .microseconds(Int(maxBatchDelay * 1000)))
        settings.timeout = .milliseconds(Int(timeout * 1000))
        settings.maxImagePixels = Int(maxImageMegapixels * 1_000_000)
        settings.protectAll = protectAll
        settings.labelStudio = try labelStudioSettings()
        settings.log = { message in log(message) }
        var reloadKeys: SignalObserver?
        if let apiKeyFile {
            let keys = try APIKeys(path: apiKeyFile)
            settings.apiKeys = keys
            log("API keys: \(keys.count) loaded from \(apiKeyFile); send SIGHUP to reload")
            reloadKeys = SignalObserver(signals: [SIGHUP]) { _ in
                do {
                    try keys.reload()
                    log("API keys reloaded: \(keys.count)")
                } catch {
                    log("API keys not reloaded, the previous ones stay in use: \(error)")
                }
            }
        }
        let service = GradCAMService(configuration: settings)

        var http = HTTPServer.Configuration(host: host, port: port)
        if let tlsCertificate, let tlsKey {
            http.tls = TLSConfiguration(certificateChainPath: tlsCertificate, privateKeyPath: tlsKey)
        }
        http.maxBodyBytes = Int(maxBodyMB * 1024 * 1024)
        http.maxConnections = connections
        http.maxConnectionsPerAddress = connectionsPerAddress
        http.bodyTimeout = .milliseconds(Int(bodyTimeout * 1000))
        http.minBodyBytesPerSecond = minBodyRate
        let server = HTTPServer(configuration: http, responder: service)
        let bound = try server.start()
        let announce = drainAnnounce
        let grace = drainGrace ?? timeout + 5
        let signals = server.shutdownOnSignals(announce: .milliseconds(Int(announce * 1000)), grace: .milliseconds(Int(grace * 1000))) { _ in
            service.beginDrain()
            log("draining: /readyz answers 503 and new work is refused; the listener closes in \(announce) s, requests in flight get \(grace) s more")
        }
        log("listening on \(http.tls == nil ? "http" : "https")://\(host):\(bound) (\(settings.workers) workers x \(settings.threadsPerWorker) threads, queue \(queue), batch \(batchSize))")

        // Models load after the socket is open: /healthz answers at once, /readyz once loaded.
        Thread.detachNewThread {
            do {
                let registry = try service.loadModels()
                for model in registry.models {
                    log("loaded \(model.name): \(model.labels.count) classes, input \(model.preprocessing.width)x\(model.preprocessing.height), default layer \(model.defaultLayer.name)")
                }
                for failure in registry.failures { log("not loaded: \(failure.name): \(failure.error)") }
                for entry in registry.missing() { log("not downloaded: \(entry.name) (\(entry.file)); run models/fetch \(entry.name)") }
                if registry.models.isEmpty { log("no model could be loaded from \(service.configuration.modelsDirectory); /readyz stays 503") }
            } catch {
                log("cannot read the models directory: \(error)")
            }
        }
        await server.waitUntilStopped()
        signals.cancel()
        reloadKeys?.cancel()
        // Every request the server accepted has been answered (or, past the grace
        // period, answered 503) and every connection is closed: a computation still
        // running has no one left to answer, so the process exits without waiting
        // for it (a job past its deadline could otherwise hold the exit for minutes).
        log("stopped")
    }
}

extension Serve {
    /// The Label Studio backend's fetching, from the flags or Label Studio's environment variables.
    func labelStudioSettings() throws -> LabelStudioBackendSettings {
        let environment = ProcessInfo.processInfo.environment
        var settings = LabelStudioBackendSettings()
        settings.baseURL = labelStudioURL ?? environment["LABEL_STUDIO_URL"]
        settings.fetch = FetchPolicy(allowed: try fetchAllow.map { try FetchPolicy.Entry($0) })
        settings.fetch.trustedCertificates = fetchCAFile
        if let token = labelStudioToken ?? environment["LABEL_STUDIO_API_KEY"], !token.isEmpty {
            settings.fetch.authorization = "Token \(token)"
        }
        return settings
    }
}

/// Writes a line to standard error with a timestamp.
func log(_ message: String) {
    let stamp = ISO8601DateFormatter().string(from: Date())
    print("\(stamp) \(message)", to: &standardError)
}

nonisolated(unsafe) var standardError = StandardError()

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
