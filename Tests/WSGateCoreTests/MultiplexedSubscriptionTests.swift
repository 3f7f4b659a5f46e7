import NIOCore
import Testing
import WSGateCore
import WSGateTestSupport

/// One stream for several connections: records that name their connection, one cursor for all.
@Suite(.timeLimit(.minutes(1)))
struct MultiplexedSubscriptionTests {
    private func member(_ id: String, _ history: EventHistory, after cursor: Int = 0) throws -> MultiplexedSubscription.Member {
        switch try history.subscribe(from: .after(cursor), binaryEncoding: .integerArray) {
        case .stream(let subscription): .subscribed(connectionID: id, subscription)
        case .complete: .complete(connectionID: id)
        }
    }

    private func history(_ messages: [Message], finished: Bool = true) -> EventHistory {
        let history = EventHistory(limits: HistoryLimits())
        for message in messages { history.append(.message(message)) }
        if finished { history.finish() }
        return history
    }

    @Test func eachRecordNamesItsConnectionAndTheCursorListsEveryMember() async throws {
        let a = self.history([.text("a1"), .text("a2")])
        let b = self.history([.binary(ByteBuffer(bytes: [1, 2]))])
        let stream = MultiplexedSubscription(members: try [self.member("A", a), self.member("B", b)], cursors: [])
        let records = await SubscriptionReader(stream).remaining()
        #expect(records.map(\.idField) == ["1,0", "2,0", "2,1"])
        #expect(records.map(\.json) == [
            ["connection": "A", "id": 1, "data": ["type": "Text", "data": "a1"]],
            ["connection": "A", "id": 2, "data": ["type": "Text", "data": "a2"]],
            ["connection": "B", "id": 1, "data": ["type": "Binary", "data": [1, 2]]],
        ])
    }

    @Test func aCursorResumesEachMemberAfterItsOwnEvent() async throws {
        let a = self.history([.text("a1"), .text("a2"), .text("a3")])
        let b = self.history([.text("b1"), .text("b2")])
        let stream = MultiplexedSubscription(members: try [self.member("A", a, after: 2), self.member("B", b, after: 1)], cursors: [2, 1])
        let records = await SubscriptionReader(stream).remaining()
        #expect(records.map(\.idField) == ["3,1", "3,2"])
        #expect(records.map { $0.json?["data"]?["data"] } == ["a3", "b2"])
    }

    @Test func liveEventsOfEveryMemberArriveAndTheStreamEndsWithTheLastMember() async throws {
        let a = self.history([], finished: false)
        let b = self.history([], finished: false)
        let reader = SubscriptionReader(MultiplexedSubscription(members: try [self.member("A", a), self.member("B", b)], cursors: []))
        let appended = Task {
            for index in 1...200 {
                (index.isMultiple(of: 2) ? a : b).append(.message(.text("\(index)")))
            }
            a.finish()
            b.finish()
        }
        let records = await reader.remaining()
        await appended.value
        #expect(records.count == 200)
        #expect(records.compactMap { $0.json?["data"]?["data"] }.count == 200)
        #expect(records.last?.idField == "100,100")
    }

    @Test func anUnknownConnectionIsReportedGoneAndAnEventNamedStaysNamed() async throws {
        let limits = HistoryLimits(maxEvents: 2, overflow: .dropOldest)
        let a = EventHistory(limits: limits)
        for index in 1...4 { a.append(.message(.text("a\(index)"))) }
        a.finish()
        let stream = MultiplexedSubscription(members: try [self.member("A", a), .unknown(connectionID: "nope\"")], cursors: [])
        let records = await SubscriptionReader(stream).remaining()
        #expect(records.map(\.event) == ["gone", "gap", nil, nil])
        #expect(records.first?.json == ["connection": "nope\""])
        #expect(records.dropFirst().first?.json == ["connection": "A", "data": ["missed": 2, "firstAvailable": 3]])
        #expect(records.map(\.idField) == ["0,0", "0,0", "3,0", "4,0"])
    }

    @Test func oneMemberCutOffCutsTheWholeStreamOff() async throws {
        let behind = EventHistory(limits: HistoryLimits(subscriberUnsentLimit: 100))
        let stream = MultiplexedSubscription(
            members: try [self.member("A", self.history([], finished: false)), self.member("B", behind)], cursors: []
        )
        for index in 1...10 { behind.append(.message(.text("b\(index)"))) }
        #expect(stream.take(orWake: {}).isCutOff)
    }

    @Test func aCompleteMemberAddsNothing() async throws {
        let a = self.history([.text("a1")])
        let stream = MultiplexedSubscription(members: try [self.member("A", a, after: 1), self.member("B", self.history([.text("b1")]))], cursors: [1])
        let records = await SubscriptionReader(stream).remaining()
        #expect(records.map(\.idField) == ["1,1"])
    }
}
