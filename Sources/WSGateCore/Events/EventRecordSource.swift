/// What an event stream's writer drains: Server-Sent Events records, taken in batches, with a
/// wake-up when none are queued. One connection's ``EventSubscription`` is one; a
/// ``MultiplexedSubscription`` of several connections is another.
public protocol EventRecordSource: AnyObject, Sendable {
    /// Takes the queued records. When there are none and the stream goes on, `wake` is called
    /// once, from whichever thread queues the next record or ends the stream.
    func take(orWake wake: @escaping @Sendable () -> Void) -> EventSubscription.Batch
    /// Sets what to do when the subscriber is cut off for falling behind, e.g. close its HTTP
    /// connection; runs it at once if that has happened.
    func onCutOff(_ action: @escaping @Sendable () -> Void)
    /// Stops the stream: the subscriber went away.
    func cancel()
}

extension EventSubscription: EventRecordSource {}
