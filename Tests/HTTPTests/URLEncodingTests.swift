import Testing
@testable import HTTP

@Suite struct URLEncodingTests {
    @Test func decodesPercentEscapesAndPlus() {
        #expect(URLEncoding.decode("a%20b+c", plusAsSpace: true) == "a b c")
        #expect(URLEncoding.decode("a%20b+c", plusAsSpace: false) == "a b+c")
        #expect(URLEncoding.decode("%E3%81%82%c3%A9", plusAsSpace: false) == "あé")
    }

    @Test func leavesMalformedEscapesAlone() {
        #expect(URLEncoding.decode("100%", plusAsSpace: true) == "100%")
        #expect(URLEncoding.decode("%zz%4", plusAsSpace: true) == "%zz%4")
        #expect(URLEncoding.decode("%FF", plusAsSpace: true) == "\u{FFFD}")
    }

    @Test func splitsFormItemsInOrder() {
        let items = URLEncoding.formItems("class=242&layer=conv5_3&&class=282&flag&e=&=v&q=a%3Db%26c")
        #expect(items.map(\.name) == ["class", "layer", "class", "flag", "e", "", "q"])
        #expect(items.map(\.value) == ["242", "conv5_3", "282", "", "", "v", "a=b&c"])
    }

    @Test func parsesAFormBody() {
        let request = HTTPRequest(method: "POST", target: "/", body: Array("name=J%C3%BCrgen+M&x=1".utf8))
        #expect(request.urlEncodedForm().first?.value == "Jürgen M")
    }
}
