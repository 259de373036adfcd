import Testing
@testable import Pipeline

@Suite struct LabelStudioConfigTests {
    static let sample = """
        <?xml version="1.0"?>
        <!-- shapes: boxes and masks -->
        <View>
          <Header value="Draw &amp; check"/>
          <Image name="img" value="$picture" zoom="true"/>
          <RectangleLabels name="boxes" toName="img">
            <Label value="circle" background="red"/>
            <Label value='Square'/>
            <Label value="R&amp;D &#x263A;"/>
          </RectangleLabels>
          <BrushLabels name="masks" toName="img"><Label value="star"/></BrushLabels>
          <Choices name="other" toName="img"><Choice value="x"/></Choices>
        </View>
        """

    @Test func readsImageControlsAndLabels() throws {
        let config = try LabelStudioConfig.parse(Self.sample)
        #expect(config.imageName == "img" && config.imageKey == "picture")
        #expect(config.rectangles == .init(name: "boxes", toName: "img", labels: ["circle", "Square", "R&D \u{263A}"]))
        #expect(config.brushes == .init(name: "masks", toName: "img", labels: ["star"]))
    }

    @Test func standardConfigReadsBack() throws {
        let labels = ["circle", "a \"quoted\" <label> & more"]
        let standard = LabelStudioConfig.standard(labels: labels)
        #expect(try LabelStudioConfig.parse(standard.xml) == standard)
    }

    @Test(arguments: [
        ("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><View><Image name=\"i\" value=\"$i\"/></View>", "declaration"),
        ("<View><Image name=\"i\" value=\"$i\"/><RectangleLabels name=\"r\" toName=\"i\"><Label value=\"&a;\"/></RectangleLabels></View>", "entity"),
        ("<View><RectangleLabels name=\"r\" toName=\"i\"><Label value=\"a\"/></RectangleLabels></View>", "no <Image"),
        ("<View><Image name=\"i\" value=\"$i\"/></View>", "no <RectangleLabels> or <BrushLabels>"),
        ("<View><Image name=\"i\" value=\"$i\"/><RectangleLabels name=\"r\" toName=\"other\"><Label value=\"a\"/></RectangleLabels></View>", "toName=\"i\""),
        ("<View><Image name=i value=\"$i\"/></View>", "not quoted"),
        ("<View><Image name=\"i\" value=\"$i\"", "not closed"),
        ("<View><!-- never closed", "ends inside"),
        ("<View><RectangleLabels toName=\"i\"/></View>", "needs name and toName"),
    ])
    func refusesWithAReason(_ text: String, _ reason: String) {
        #expect {
            try LabelStudioConfig.parse(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func refusesOversizeAndDeepConfigs() {
        let big = "<View>" + String(repeating: " ", count: LabelStudioConfig.maximumBytes) + "</View>"
        #expect(throws: LabelStudioError.self) { try LabelStudioConfig.parse(big) }
        let deep = String(repeating: "<View>", count: LabelStudioConfig.maximumDepth + 1)
        #expect { try LabelStudioConfig.parse(deep) } throws: { "\($0)".contains("nests deeper") }
    }

    @Test func labelsMatchClassesExactlyThenIgnoringCase() throws {
        let config = try LabelStudioConfig.parse(Self.sample)
        let labels = try LabelStudioLabels(config: config, classLabels: ["square", "circle", "star", "cross", "Square"])
        // "circle" and "star" exactly; "Square" exactly (class 4), not "square" (class 0).
        #expect(labels.classes == [1, 2, 4])
        #expect(labels.ignored == ["R&D \u{263A}"])
        let loose = try LabelStudioLabels(config: config, classLabels: ["SQUARE", "dog"])
        #expect(loose.classes == [0])
    }

    @Test func noMatchingLabelIsAnError() throws {
        let config = try LabelStudioConfig.parse(Self.sample)
        #expect {
            try LabelStudioLabels(config: config, classLabels: ["dog", "cat"])
        } throws: { "\($0)".contains("no label of the labeling config names a class") && "\($0)".contains("dog, cat") }
    }
}
