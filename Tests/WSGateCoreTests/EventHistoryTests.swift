import MetricsTestKit
import NIOConcurrencyHelpers
import NIOCore
import Testing
import WSGateCore
import WSGateTestSupport

/// Numbering, retention, cursors and fan-out, without sockets.
@Suite(.timeLimit(.minutes(1)))
struct EventHistoryTests {
    private func history(_ limits: HistoryLimits = HistoryLimits(), texts: ClosedRange<Int>) -> EventHistory {
        let history = EventHistory(limits: limits)
        for index in texts { history.append(.message(.text("m\(index)"))) }
        return history
    }

    @Test func aFirstSubscriberGetsEverythingRetained() async throws {
        let history = self.history(texts: 1...3)
        history.finish()
        let records = await SubscriptionReader(try #require(try self.stream(history, .beginning))).remaining()
        #expect(records.map(\.id) == [1, 2, 3])
        #expect(records.map(\.json) == ["m1", "m2", "m3"].map { ["type": "Text", "data": .string($0)] })
    }

    @Test func aCursorResumesAfterItsEvent() async throws {
        let history = self.history(texts: 1...5)
        history.finish()
        let records = await SubscriptionReader(try #require(try self.stream(history, .after(3)))).remaining()
        #expect(records.map(\.id) == [4, 5])
    }

    @Test func aCursorAheadOfTheHistorySkipsTheEventsUpToIt() async throws {
        let history = self.history(texts: 1...1)
        let reader = SubscriptionReader(try #require(try self.stream(history, .after(3))))
        for index in 2...5 { history.append(.message(.text("m\(index)"))) }
        history.finish()
        #expect(await reader.remaining().map(\.id) == [4, 5])
    }

    @Test func nowSkipsHistory() async throws {
        let history = self.history(texts: 1...2)
        let reader = SubscriptionReader(try #require(try self.stream(history, .now)))
        history.append(.message(.text("new")))
        history.finish()
        #expect(await reader.remaining().map(\.id) == [3])
    }

    @Test func aCursorOlderThanTheHistoryGetsAGapEvent() async throws {
        let history = self.history(HistoryLimits(maxEvents: 3, overflow: .dropOldest), texts: 1...10)
        history.finish()
        let records = await SubscriptionReader(try #require(try self.stream(history, .after(2)))).remaining()
        #expect(records.first?.event == "gap")
        #expect(records.first?.json == ["missed": 5, "firstAvailable": 8])
        #expect(records.dropFirst().map(\.id) == [8, 9, 10])
    }

    @Test func withDropOldestTheByteLimitDropsTheOldest() async throws {
        let history = EventHistory(limits: HistoryLimits(maxBytes: 1000, overflow: .dropOldest))
        for _ in 1...20 { history.append(.message(.text(String(repeating: "x", count: 100)))) }
        history.finish()
        let ids = await SubscriptionReader(try #require(try self.stream(history, .beginning))).remaining().map(\.id)
        #expect(ids.count < 20 && ids.count >= 3)
        #expect(ids.last == 20)
    }

    @Test func withDropOldestALateSubscriberWithoutACursorGetsAGapFirst() async throws {
        let history = self.history(HistoryLimits(maxEvents: 3, overflow: .dropOldest), texts: 1...10)
        history.finish()
        let records = await SubscriptionReader(try #require(try self.stream(history, .beginning))).remaining()
        #expect(records.first?.event == "gap")
        #expect(records.first?.json == ["missed": 7, "firstAvailable": 8])
        #expect(records.dropFirst().map(\.id) == [8, 9, 10])
    }

    @Test func eventsNoSubscriberTookFillTheHistoryAndPauseTheUpstreamUntilOneSubscribes() async throws {
        let metrics = TestMetrics()
        let history = EventHistory(limits: HistoryLimits(maxEvents: 3), metrics: GatewayMetrics(factory: metrics))
        let calls = NIOLockedValueBox<[Bool]>([])
        history.setReadingControl { calls.withLockedValue { $0.append(!history.isUpstreamPaused) } }
        for index in 1...3 { history.append(.message(.text("m\(index)"))) }
        #expect(calls.withLockedValue { $0 }.isEmpty)
        // The event read with the one that fills the history is kept too; reading stops.
        history.append(.message(.text("m4")))
        #expect(calls.withLockedValue { $0 } == [false])
        #expect(history.isUpstreamPaused)
        #expect(try metrics.expectCounter("wsgate_upstream_reads_paused_total").totalValue == 1)
        let reader = SubscriptionReader(try #require(try self.stream(history, .beginning)))
        #expect(calls.withLockedValue { $0 } == [false, true])
        #expect(try metrics.expectMeter("wsgate_subscribers").lastValue == 1)
        history.finish()
        #expect(await reader.remaining().map(\.id) == [1, 2, 3, 4])
        #expect(try metrics.expectCounter("wsgate_events_delivered_total").totalValue == 4)
        #expect(try metrics.expectMeter("wsgate_subscribers").lastValue == 0)
    }

    @Test func eventsASubscriberReceivedAreARingOfTheNewest() async throws {
        let history = EventHistory(limits: HistoryLimits(maxEvents: 3))
        let calls = NIOLockedValueBox<[Bool]>([])
        history.setReadingControl { calls.withLockedValue { $0.append(!history.isUpstreamPaused) } }
        let reader = SubscriptionReader(try #require(try self.stream(history, .beginning)))
        for index in 1...10 { history.append(.message(.text("m\(index)"))) }
        history.finish()
        #expect(await reader.remaining().map(\.id) == Array(1...10))
        #expect(calls.withLockedValue { $0 }.isEmpty)
        // A later subscriber finds the newest three, after a gap.
        let late = await SubscriptionReader(try #require(try self.stream(history, .beginning))).remaining()
        #expect(late.first?.json == ["missed": 7, "firstAvailable": 8])
        #expect(late.dropFirst().map(\.id) == [8, 9, 10])
    }

    @Test func aSubscriberWhoseStreamBrokeFindsWhatWasInFlightWhenItReconnects() async throws {
        let history = EventHistory(limits: HistoryLimits(maxEvents: 4))
        let calls = NIOLockedValueBox<[Bool]>([])
        history.setReadingControl { calls.withLockedValue { $0.append(!history.isUpstreamPaused) } }
        let broken = try #require(try self.stream(history, .beginning))
        for index in 1...4 { history.append(.message(.text("m\(index)"))) }
        // The stream breaks when its client has read events 1 and 2: 3 and 4 were in flight.
        broken.cancel()
        // With nobody subscribed, nothing is dropped: the history fills, and reading stops.
        history.append(.message(.text("m5")))
        #expect(calls.withLockedValue { $0 } == [false])
        let reader = SubscriptionReader(try #require(try self.stream(history, .after(2))))
        #expect(calls.withLockedValue { $0 } == [false, true])
        history.append(.message(.text("m6")))
        history.finish()
        #expect(await reader.remaining().map(\.id) == Array(3...6))
    }

    @Test func aSubscriberThatSkipsHistoryReleasesThePause() throws {
        let history = EventHistory(limits: HistoryLimits(maxEvents: 2))
        let calls = NIOLockedValueBox<[Bool]>([])
        history.setReadingControl { calls.withLockedValue { $0.append(!history.isUpstreamPaused) } }
        for index in 1...3 { history.append(.message(.text("m\(index)"))) }
        _ = try self.stream(history, .now)
        #expect(calls.withLockedValue { $0 } == [false, true])
    }

    @Test func aCursorAtTheEndOfAnEndedHistoryIsComplete() throws {
        let history = self.history(texts: 1...2)
        history.finish()
        guard case .complete = try history.subscribe(from: .after(2), binaryEncoding: .integerArray) else {
            Issue.record("expected complete")
            return
        }
    }

    @Test func everySubscriberReceivesEveryEventInOrder() async throws {
        let history = EventHistory(limits: HistoryLimits())
        let readers = try (0..<3).map { _ in SubscriptionReader(try #require(try self.stream(history, .beginning))) }
        for index in 1...100 { history.append(.message(.binary(ByteBuffer(bytes: [UInt8(index)])))) }
        history.finish()
        for reader in readers {
            let records = await reader.remaining()
            #expect(records.map(\.id) == Array(1...100))
            #expect(records.last?.json == ["type": "Binary", "data": [100]])
        }
    }

    @Test func base64SubscribersGetBase64AndOthersIntegerArrays() async throws {
        let history = EventHistory(limits: HistoryLimits())
        let arrays = SubscriptionReader(try #require(try self.stream(history, .beginning)))
        let base64 = SubscriptionReader(try #require(try self.stream(history, .beginning, .base64)))
        history.append(.message(.ping(ByteBuffer(bytes: [1, 2]))))
        history.finish()
        #expect(await arrays.nextJSON() == ["type": "Ping", "data": [1, 2]])
        #expect(await base64.nextJSON() == ["type": "Ping", "data": "AQI="])
    }

    @Test func eventsAppendedTogetherReachEachSubscriberInItsEncodingFromItsCursor() async throws {
        let history = EventHistory(limits: HistoryLimits())
        let arrays = SubscriptionReader(try #require(try self.stream(history, .beginning)))
        let base64 = SubscriptionReader(try #require(try self.stream(history, .beginning, .base64)))
        let pastTheFirstThree = SubscriptionReader(try #require(try self.stream(history, .after(3))))
        let pastTheBatch = SubscriptionReader(try #require(try self.stream(history, .after(6))))
        history.append(contentsOf: [
            .message(.text("a")), .message(.binary(ByteBuffer(bytes: [1, 2]))), .message(.text("b\"")),
            .message(.text("c")), .message(.binary(ByteBuffer(bytes: [3]))),
        ])
        history.append(contentsOf: [.message(.text("after")), .message(.text("last"))])
        history.finish()
        let texts: [JSONValue] = ["a", "b\"", "c", "after", "last"].map { ["type": "Text", "data": .string($0)] }
        let arrayRecords = await arrays.remaining()
        #expect(arrayRecords.map(\.id) == Array(1...7))
        #expect(arrayRecords.map(\.json) == [texts[0], ["type": "Binary", "data": [1, 2]], texts[1], texts[2], ["type": "Binary", "data": [3]], texts[3], texts[4]])
        let base64Records = await base64.remaining()
        #expect(base64Records.map(\.id) == Array(1...7))
        #expect(base64Records.map(\.json) == [texts[0], ["type": "Binary", "data": "AQI="], texts[1], texts[2], ["type": "Binary", "data": "Aw=="], texts[3], texts[4]])
        #expect(await pastTheFirstThree.remaining().map(\.id) == [4, 5, 6, 7])
        #expect(await pastTheBatch.remaining().map(\.id) == [7])
        // A late subscriber gets the same records from the history.
        #expect(await SubscriptionReader(try #require(try self.stream(history, .after(1), .base64))).remaining().map(\.json) == Array(base64Records.dropFirst().map(\.json)))
    }

    @Test func aSubscriberThatFallsBehindIsCutOffWithoutAffectingOthers() async throws {
        let metrics = TestMetrics()
        let history = EventHistory(limits: HistoryLimits(subscriberUnsentLimit: 10_000), metrics: GatewayMetrics(factory: metrics))
        let slow = try #require(try self.stream(history, .beginning))
        let fast = SubscriptionReader(try #require(try self.stream(history, .beginning)))
        let cutOff = NIOLockedBool()
        slow.onCutOff { cutOff.set() }
        for index in 1...200 {
            history.append(.message(.text(String(repeating: "y", count: 100) + "\(index)")))
            _ = await fast.next()
        }
        history.finish()
        #expect(cutOff.value)
        #expect(slow.wasCutOff)
        #expect(history.subscriberCount == 0)
        #expect(try metrics.expectCounter("wsgate_subscribers_cut_off_total", [("reason", "behind")]).totalValue == 1)
        // Its writer gets nothing more and is told to break the stream off, not to end it.
        #expect(slow.take(orWake: {}).isCutOff)
    }

    @Test func aResumingSubscriberIsCutOffOnlyForWhatFallsBehindBeyondItsBacklog() async throws {
        // About 9 kB retained, four times the limit: the backlog of a subscriber from the beginning.
        let history = self.history(HistoryLimits(subscriberUnsentLimit: 2000), texts: 1...200)
        let resumed = try #require(try self.stream(history, .beginning))
        history.append(.message(.text("m201")))
        #expect(!resumed.wasCutOff)
        // Once the backlog is taken, what waits counts against the limit from nothing.
        let taken = await SubscriptionReader(resumed).nextBatch()
        #expect(taken?.count == 201)
        for index in 202...220 { history.append(.message(.text("m\(index)"))) }
        #expect(!resumed.wasCutOff)
        for index in 221...300 { history.append(.message(.text("m\(index)"))) }
        #expect(resumed.wasCutOff)
    }

    private func stream(_ history: EventHistory, _ cursor: EventCursor, _ binary: BinaryEncoding = .integerArray) throws -> EventSubscription? {
        if case .stream(let subscription) = try history.subscribe(from: cursor, binaryEncoding: binary) { subscription } else { nil }
    }
}

/// A flag that can be set from any thread.
final class NIOLockedBool: Sendable {
    private let box = NIOLockedValueBox(false)
    var value: Bool { self.box.withLockedValue { $0 } }
    func set() { self.box.withLockedValue { $0 = true } }
}
