import CEventPoll
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which ways a socket is ready (or asked to be watched).
struct Readiness: OptionSet, Sendable {
    let rawValue: UInt8

    static let readable = Readiness(rawValue: 1)
    static let writable = Readiness(rawValue: 2)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ interest: IOInterest) {
        self = interest == .readable ? .readable : .writable
    }
}

/// The readiness of the server's client sockets, from one kernel poller (epoll on Linux,
/// kqueue on Darwin) and one thread of its own that forwards each event to its
/// connection's handler.
///
/// Why not Dispatch read and write sources, as before: libdispatch's epoll backend keeps
/// one shared record per descriptor *number* for every source on it, and that bookkeeping
/// has open bugs under churn (swift-corelibs-libdispatch issues #833 and #949, and SR-12079):
/// at about 3,000 connections a second the server died once in 1.2 million requests with
/// SIGILL, "Source finalized twice", inside libdispatch. Here the order is ours to state:
///
/// - A socket is known by a `Registration`, whose token is never reused; the kernel event
///   carries the token, not the descriptor.
/// - Interest is one-shot: an event disarms the socket until its connection arms it again
///   (``arm(_:for:)``), so a connection gets at most one event per arming, on its own
///   queue, and never an event it did not ask for except a hang-up or error.
/// - ``deregister(_:)`` removes the socket from the kernel poller, then forgets the token,
///   and only then may the caller close the descriptor. An event the poller thread had
///   already taken for that token is either dropped (the token is gone) or reaches the
///   connection's handler, which finds its connection closed; it cannot reach another
///   connection that reuses the descriptor number, since that one has another token.
final class ReadinessPoller: Sendable {
    /// A socket being watched.
    struct Registration: Sendable {
        /// Unique for the poller's lifetime.
        let token: UInt64
        let fileDescriptor: Int32
    }

    /// Called on the poller's thread with what is ready; it should only hand the event
    /// to the connection's queue.
    typealias Handler = @Sendable (Readiness) -> Void

    private struct Handlers: ~Copyable {
        var byToken: [UInt64: Handler] = [:]
        /// 0 is the wake-up descriptor's token; sockets count from 1.
        var nextToken: UInt64 = 1
    }

    private static let wakeToken: UInt64 = 0
    private static let eventsPerWait = 256

    private let pollDescriptor: Int32
    #if canImport(Glibc)
    /// An eventfd that `stop()` writes to wake the thread.
    private let wakeDescriptor: Int32
    #endif
    private let handlers = Mutex(Handlers())
    private let stopping = Atomic<Bool>(false)

    /// Creates the kernel poller and starts its thread.
    init() throws(SocketError) {
        #if canImport(Glibc)
        pollDescriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard pollDescriptor >= 0 else { throw SocketError(operation: "epoll_create1", code: errno) }
        wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wakeDescriptor >= 0 else {
            let code = errno
            _ = close(pollDescriptor)
            throw SocketError(operation: "eventfd", code: code)
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeToken
        guard epoll_ctl(pollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event) == 0 else {
            let code = errno
            _ = close(wakeDescriptor)
            _ = close(pollDescriptor)
            throw SocketError(operation: "epoll_ctl(ADD eventfd)", code: code)
        }
        #else
        pollDescriptor = kqueue()
        guard pollDescriptor >= 0 else { throw SocketError(operation: "kqueue", code: errno) }
        var wake = kevent(ident: 0, filter: Int16(EVFILT_USER), flags: UInt16(EV_ADD | EV_CLEAR), fflags: 0, data: 0, udata: nil)
        guard kevent(pollDescriptor, &wake, 1, nil, 0, nil) == 0 else {
            let code = errno
            _ = close(pollDescriptor)
            throw SocketError(operation: "kevent(EVFILT_USER)", code: code)
        }
        #endif
        try startThread()
    }

    /// Starts watching `fileDescriptor`, disarmed: nothing is delivered until ``arm(_:for:)``
    /// (except, on Linux, a hang-up or error, which the kernel always reports).
    func register(_ fileDescriptor: Int32, handler: @escaping Handler) throws(SocketError) -> Registration {
        let token = handlers.withLock { handlers in
            let token = handlers.nextToken
            handlers.nextToken += 1
            handlers.byToken[token] = handler
            return token
        }
        #if canImport(Glibc)
        var event = epoll_event()
        event.events = EPOLLONESHOT.rawValue
        event.data.u64 = token
        if epoll_ctl(pollDescriptor, EPOLL_CTL_ADD, fileDescriptor, &event) != 0 {
            let code = errno
            _ = handlers.withLock { $0.byToken.removeValue(forKey: token) }
            throw SocketError(operation: "epoll_ctl(ADD)", code: code)
        }
        #endif
        return Registration(token: token, fileDescriptor: fileDescriptor)
    }

    /// Arms the socket for one event in `interest` (replacing what was armed); an empty
    /// `interest` disarms it. Returns false if the kernel refused, which leaves the socket
    /// unwatched: its connection must close.
    func arm(_ registration: Registration, for interest: Readiness) -> Bool {
        #if canImport(Glibc)
        var event = epoll_event()
        event.events = EPOLLONESHOT.rawValue
            | (interest.contains(.readable) ? EPOLLIN.rawValue : 0)
            | (interest.contains(.writable) ? EPOLLOUT.rawValue : 0)
        event.data.u64 = registration.token
        return epoll_ctl(pollDescriptor, EPOLL_CTL_MOD, registration.fileDescriptor, &event) == 0
        #else
        return apply(registration, filter: EVFILT_READ, on: interest.contains(.readable))
            && apply(registration, filter: EVFILT_WRITE, on: interest.contains(.writable))
        #endif
    }

    /// Stops watching the socket. Call it before closing the descriptor; after it returns,
    /// no event of this registration reaches its handler that was not already on the way.
    func deregister(_ registration: Registration) {
        #if canImport(Glibc)
        _ = epoll_ctl(pollDescriptor, EPOLL_CTL_DEL, registration.fileDescriptor, nil)
        #else
        _ = apply(registration, filter: EVFILT_READ, on: false)
        _ = apply(registration, filter: EVFILT_WRITE, on: false)
        #endif
        _ = handlers.withLock { $0.byToken.removeValue(forKey: registration.token) }
    }

    /// The number of sockets registered (for tests: a closed connection leaves none).
    var registrationCount: Int {
        handlers.withLock { $0.byToken.count }
    }

    /// Ends the thread and closes the kernel poller. Every socket should be deregistered.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        #if canImport(Glibc)
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
        #else
        var wake = kevent(ident: 0, filter: Int16(EVFILT_USER), flags: 0, fflags: UInt32(NOTE_TRIGGER), data: 0, udata: nil)
        _ = kevent(pollDescriptor, &wake, 1, nil, 0, nil)
        #endif
    }

    // MARK: - The thread

    private func startThread() throws(SocketError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let status = pthread_create(&thread, nil, { context in
            // The thread holds the poller until it ends.
            let poller = Unmanaged<ReadinessPoller>.fromOpaque(context!).takeRetainedValue()
            poller.run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<ReadinessPoller>.fromOpaque(context).release()
            throw SocketError(operation: "pthread_create", code: status)
        }
        #if canImport(Glibc)
        pthread_detach(thread)
        #else
        pthread_detach(thread!)
        #endif
    }

    private func run() {
        #if canImport(Glibc)
        var events = [epoll_event](repeating: epoll_event(), count: Self.eventsPerWait)
        while !stopping.load(ordering: .acquiring) {
            let count = epoll_wait(pollDescriptor, &events, Int32(Self.eventsPerWait), -1)
            guard count >= 0 else {
                if errno == EINTR { continue }
                preconditionFailure("epoll_wait failed: \(String(cString: strerror(errno)))")
            }
            for event in events[..<Int(count)] where event.data.u64 != Self.wakeToken {
                let flags = event.events
                var ready: Readiness = []
                if flags & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { ready.insert(.readable) }
                if flags & (EPOLLOUT.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { ready.insert(.writable) }
                deliver(ready, to: event.data.u64)
            }
        }
        _ = close(wakeDescriptor)
        #else
        var events = [kevent](repeating: kevent(), count: Self.eventsPerWait)
        while !stopping.load(ordering: .acquiring) {
            let count = kevent(pollDescriptor, nil, 0, &events, Int32(Self.eventsPerWait), nil)
            guard count >= 0 else {
                if errno == EINTR { continue }
                preconditionFailure("kevent failed: \(String(cString: strerror(errno)))")
            }
            for event in events[..<Int(count)] where event.filter != Int16(EVFILT_USER) {
                let token = UInt64(UInt(bitPattern: event.udata))
                deliver(event.filter == Int16(EVFILT_WRITE) ? .writable : .readable, to: token)
            }
        }
        #endif
        _ = close(pollDescriptor)
    }

    private func deliver(_ ready: Readiness, to token: UInt64) {
        // Looked up under the lock, called outside it: the handler only enqueues.
        let handler = handlers.withLock { $0.byToken[token] }
        handler?(ready)
    }

    #if !canImport(Glibc)
    /// Adds a one-shot kqueue filter for the registration, or removes it (a filter that
    /// was not there, having fired or never been added, is fine). One change per call:
    /// without an event list, kevent stops at the first change that fails.
    private func apply(_ registration: Registration, filter: Int32, on: Bool) -> Bool {
        var change = kevent(
            ident: UInt(registration.fileDescriptor), filter: Int16(filter),
            flags: UInt16(on ? EV_ADD | EV_ONESHOT : EV_DELETE), fflags: 0, data: 0,
            udata: UnsafeMutableRawPointer(bitPattern: UInt(registration.token)))
        return kevent(pollDescriptor, &change, 1, nil, 0, nil) == 0 || (!on && errno == ENOENT)
    }
    #endif
}
