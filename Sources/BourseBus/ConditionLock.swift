#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with two condition variables, heap-allocated so its
/// address never moves. Used by `MessageQueue`, whose producers and consumer
/// must sleep without spinning.
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Signalled when data is added or the queue ends.
    private let dataAvailable = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Signalled when space is freed or the queue is aborted.
    private let spaceAvailable = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(dataAvailable, &attr)
        pthread_cond_init(spaceAvailable, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(dataAvailable)
        pthread_cond_destroy(spaceAvailable)
        pthread_mutex_destroy(mutex)
        dataAvailable.deallocate()
        spaceAvailable.deallocate()
        mutex.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the lock.
    @inline(__always) func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Waits (lock held) until signalled for data, at most `timeoutNanoseconds` if given.
    func waitForData(timeoutNanoseconds: Int64? = nil) { wait(dataAvailable, timeoutNanoseconds) }
    /// Waits (lock held) until signalled for space.
    func waitForSpace() { wait(spaceAvailable, nil) }
    /// Wakes the consumer.
    func signalData() { pthread_cond_broadcast(dataAvailable) }
    /// Wakes producers.
    func signalSpace() { pthread_cond_broadcast(spaceAvailable) }

    private func wait(_ cond: UnsafeMutablePointer<pthread_cond_t>, _ timeout: Int64?) {
        guard let timeout else {
            pthread_cond_wait(cond, mutex)
            return
        }
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let total = Int64(ts.tv_nsec) + timeout
        ts.tv_sec += Int(total / 1_000_000_000)
        ts.tv_nsec = Int(total % 1_000_000_000)
        pthread_cond_timedwait(cond, mutex, &ts)
    }
}
