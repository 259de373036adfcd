import Testing
@testable import Tensor

@Suite struct LinearTests {
    /// `op(A) · op(B)` by hand.
    func product(_ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool) -> [Float] {
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = transB ? b.shape[0] : b.shape[1]
        return (0..<m * n).map { index in
            let i = index / n, j = index % n
            return (0..<k).reduce(Float(0)) { sum, p in
                sum + a.floats[transA ? p * m + i : i * k + p] * b.floats[transB ? j * k + p : p * n + j]
            }
        }
    }

    @Test func gemmForwardWithEveryBiasShape() throws {
        var random = TestRandom(seed: 50)
        let (m, k, n) = (3, 4, 5)
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = random.tensor(transA ? [k, m] : [m, k]), b = random.tensor(transB ? [n, k] : [k, n])
            let ab = product(a, b, transA: transA, transB: transB)
            for c in [Tensor.filled([], with: 2), random.tensor([n]), random.tensor([1, n]), random.tensor([m, 1]), random.tensor([m, n])] {
                let y = try forward(Gemm(alpha: 0.5, beta: 2, transA: transA, transB: transB), [a, b, c])[0]
                let rowStride = c.rank == 2 && c.shape[0] == m ? c.shape[1] : 0, columnStride = c.shape.last == n ? 1 : 0
                let expected = (0..<m * n).map { 0.5 * ab[$0] + 2 * c.floats[($0 / n) * rowStride + ($0 % n) * columnStride] }
                #expect(y.shape == [m, n] && isClose(y.floats, expected, tolerance: 1e-5))
            }
            #expect(isClose(try forward(Gemm(transA: transA, transB: transB), [a, b])[0].floats, ab, tolerance: 1e-5))
        }
    }

    @Test func gemmGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 51)
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            for m in [1, 3] {
                let a = random.tensor(transA ? [4, m] : [m, 4]), b = random.tensor(transB ? [5, 4] : [4, 5])
                let op = Gemm(alpha: 0.7, beta: 1.3, transA: transA, transB: transB)
                try expectGradientMatchesFiniteDifferences(op, [a, b, random.tensor([m, 5])], wrt: [0, 1, 2])
                try expectGradientMatchesFiniteDifferences(op, [a, b, random.tensor([5])], wrt: [0, 1, 2])
                try expectGradientMatchesFiniteDifferences(op, [a, b, random.tensor([m, 1])], wrt: [2])
            }
        }
    }

    @Test func gemmReplicasFollowTheRows() throws {
        var random = TestRandom(seed: 52)
        for transB in [false, true] {
            let op = Gemm(transB: transB)
            let inputs: [Tensor?] = [random.tensor([1, 4]), random.tensor(transB ? [6, 4] : [4, 6]), random.tensor([1, 6])]
            try expectReplicasMatchSeparatePasses(op, inputs, wrt: [0, 2])
            try expectReplicasUnsupported(op, inputs, wrt: [1])
            try expectReplicasUnsupported(op, [inputs[0], inputs[1], random.tensor([6])], wrt: [2])
        }
        try expectReplicasUnsupported(Gemm(transA: true), [random.tensor([4, 1]), random.tensor([4, 6])], wrt: [0])
    }

    @Test func gemmMatrixVectorProductSplitsAmongThreads() throws {
        // M = 1 with n·k ≥ 2^20 takes the threaded matrix-vector path.
        var random = TestRandom(seed: 53)
        let k = 1024, n = 1030
        let a = random.tensor([1, k]), b = random.tensor([n, k]), c = random.tensor([n])
        let op = Gemm(transB: true)
        let single = try forward(op, [a, b, c])[0], split = try forward(op, [a, b, c], threads: 2)[0]
        // Sums of 1024 products: the kernels' summation order differs with the column count.
        #expect(isClose(single.floats, split.floats, tolerance: 1e-5))
        #expect(isClose(Array(single.floats[0..<5]), (0..<5).map { j in
            (0..<k).reduce(c.floats[j]) { $0 + a.floats[$1] * b.floats[j * k + $1] }
        }, tolerance: 1e-4))
        let dy = random.tensor([1, n])
        let dA = try backward(op, [a, b, c], gradient: dy, wrt: [0])[0]
        let dASplit = try backward(op, [a, b, c], gradient: dy, wrt: [0], threads: 2)[0]
        #expect(isClose(dA.floats, dASplit.floats, tolerance: 1e-5))
        let transposed = Gemm()
        let bt = random.tensor([k, n])
        #expect(isClose(try forward(transposed, [a, bt], threads: 2)[0].floats, try forward(transposed, [a, bt])[0].floats, tolerance: 1e-5))
    }

    @Test func sparseRowTimesMatrixReadsOnlyTheRowsItUses() throws {
        // A row that is at least a quarter zeros (a gradient past ReLU, a one-hot seed) times a
        // k x n matrix reads only the matrix rows it does not zero: a NaN planted in a skipped
        // row stays out of the result, which must otherwise be the ordinary product.
        var random = TestRandom(seed: 54)
        let k = 1024, n = 1030
        for (zeroEvery, threads) in [(2, 1), (2, 2), (3, 2), (k, 2)] {
            var a = random.tensor([1, k])
            for i in 0..<k where i % zeroEvery != 0 { a.floats[i] = 0 }
            var b = random.tensor([k, n])
            let c = random.tensor([n])
            let expected = (0..<n).map { j in (0..<k).reduce(0.5 * c.floats[j]) { $0 + 2 * a.floats[$1] * b.floats[$1 * n + j] } }
            b.floats[1 * n + 7] = .nan
            // Forward with a bias (beta 0.5 over C), then the input gradient of a transposed layer.
            let y = try forward(Gemm(alpha: 2, beta: 0.5), [a, b, c], threads: threads)[0]
            #expect(isClose(y.floats, expected, tolerance: 1e-4))
            let dA = try backward(Gemm(alpha: 2, transB: true), [random.tensor([1, n]), b, nil], gradient: a, wrt: [0], threads: threads)[0]
            #expect(isClose(dA.floats, expected.indices.map { expected[$0] - 0.5 * c.floats[$0] }, tolerance: 1e-4))
        }
    }

    @Test(arguments: [2, 3, 5, 7, 8, 16, 17])
    func fewRowsProductsEqualTheProductByHand(_ m: Int) throws {
        // 2...16 rows (a batch through a fully connected layer) take the few-rows kernels, 17
        // the general product. k crosses the transposed kernels' depth blocks (2048, and 8192
        // for AVX2's) and ends in a block that is not whole vectors of 8; n crosses the other
        // kernel's column block (1024) and leaves 2 columns after AVX2's blocks of 3, and the m
        // rows leave 0 to 3 after its blocks of 4. Columns of A that are zero in every row are
        // rows of B the product need not read: a NaN planted there stays out of the result.
        var random = TestRandom(seed: UInt64(55 + m))
        let k = 8203, n = 1100
        var a = random.tensor([m, k])
        for row in 0..<m {
            for i in 0..<k where i % 3 == 0 { a.floats[row * k + i] = 0 }
        }
        let c = random.tensor([n])
        for threads in [1, 2] {
            for transB in [false, true] {
                var b = random.tensor(transB ? [n, k] : [k, n])
                let ab = product(a, b, transA: false, transB: transB)
                let expected = ab.indices.map { 2 * ab[$0] + 0.5 * c.floats[$0 % n] }
                if !transB && m <= BLAS.fewRowsLimit { b.floats[3 * n + 7] = .nan }
                let y = try forward(Gemm(alpha: 2, beta: 0.5, transB: transB), [a, b, c], threads: threads)[0]
                #expect(y.shape == [m, n] && isClose(y.floats, expected, tolerance: 1e-3))
                // The batch's input gradient through a layer stored [n, k]: dA = dY · B.
                if transB {
                    let dy = random.tensor([m, n])
                    let dA = try backward(Gemm(transB: true), [a, b, nil], gradient: dy, wrt: [0], threads: threads)[0]
                    #expect(dA.shape == [m, k] && isClose(dA.floats, product(dy, b, transA: false, transB: false), tolerance: 1e-3))
                }
            }
        }
    }

    @Test func gemmRejectsBadShapes() {
        expectInvalid("must be matrices") { _ = try forward(Gemm(), [Tensor.zeros([2, 3, 1]), Tensor.zeros([3, 2])]) }
        expectInvalid("op(A) is 2 x 3 but op(B) is 2 x 3") { _ = try forward(Gemm(), [Tensor.zeros([2, 3]), Tensor.zeros([2, 3])]) }
        expectInvalid("does not broadcast to [2, 4]") {
            _ = try forward(Gemm(), [Tensor.zeros([2, 3]), Tensor.zeros([3, 4]), Tensor.zeros([3])])
        }
    }

    @Test func matMulFollowsNumpyShapes() throws {
        let cases: [([Int], [Int], [Int])] = [
            ([2, 3], [3, 4], [2, 4]), ([3], [3, 4], [4]), ([2, 3], [3], [2]), ([3], [3], []),
            ([2, 1, 2, 3], [4, 3, 2], [2, 4, 2, 2]), ([5, 2, 3], [3, 4], [5, 2, 4]), ([3], [2, 3, 4], [2, 4]),
        ]
        var random = TestRandom(seed: 54)
        for (a, b, expected) in cases {
            let x = random.tensor(a), y = random.tensor(b)
            let z = try forward(MatMul(), [x, y])[0]
            #expect(z.shape == expected, "\(a) x \(b)")
        }
        // One batch entry by hand: [2,1,2,3] x [4,3,2], output entry [1, 3].
        let x = random.tensor([2, 1, 2, 3]), y = random.tensor([4, 3, 2])
        let z = try forward(MatMul(), [x, y])[0]
        let block = Array(z.floats[(1 * 4 + 3) * 4 ..< (1 * 4 + 3) * 4 + 4])
        let a = Tensor(shape: [2, 3], floats: Array(x.floats[6..<12])), b = Tensor(shape: [3, 2], floats: Array(y.floats[18..<24]))
        #expect(isClose(block, product(a, b, transA: false, transB: false), tolerance: 1e-6))
    }

    @Test func matMulGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 55)
        let cases: [([Int], [Int])] = [
            ([2, 3], [3, 4]), ([3], [3, 4]), ([2, 3], [3]), ([3], [3]), ([2, 1, 2, 3], [4, 3, 2]),
            ([5, 2, 3], [3, 4]), ([3], [2, 3, 4]), ([1, 3], [2, 3, 2]),
        ]
        for (a, b) in cases {
            try expectGradientMatchesFiniteDifferences(MatMul(), [random.tensor(a), random.tensor(b)], wrt: [0, 1])
        }
    }

    @Test func matMulReplicas() throws {
        var random = TestRandom(seed: 56)
        // Rows of a matrix product: dA carries replicas, dB cannot.
        let rows: [Tensor?] = [random.tensor([1, 3]), random.tensor([3, 4])]
        try expectReplicasMatchSeparatePasses(MatMul(), rows, wrt: [0])
        try expectReplicasUnsupported(MatMul(), rows, wrt: [1])
        // A batch dimension: both carry replicas when they have it.
        try expectReplicasMatchSeparatePasses(MatMul(), [random.tensor([1, 2, 3]), random.tensor([1, 3, 4])], wrt: [0, 1])
        try expectReplicasMatchSeparatePasses(MatMul(), [random.tensor([1, 2, 3]), random.tensor([3, 4])], wrt: [0])
        try expectReplicasUnsupported(MatMul(), [random.tensor([1, 2, 3]), random.tensor([3, 4])], wrt: [1])
        try expectReplicasUnsupported(MatMul(), [random.tensor([2, 3]), random.tensor([1, 3, 4])], wrt: [0])
    }

    @Test func matMulRejectsBadShapes() {
        expectInvalid("do not chain") { _ = try forward(MatMul(), [Tensor.zeros([2, 3]), Tensor.zeros([4, 2])]) }
        expectInvalid("cannot be broadcast") { _ = try forward(MatMul(), [Tensor.zeros([2, 2, 3]), Tensor.zeros([3, 3, 2])]) }
        expectInvalid("rank 1 or more") { _ = try forward(MatMul(), [Tensor.zeros([]), Tensor.zeros([3])]) }
    }
}
