// libtorch's intra-op thread count is process-wide, and the determinism tests fix it per fit;
// run the tests of this assembly one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
