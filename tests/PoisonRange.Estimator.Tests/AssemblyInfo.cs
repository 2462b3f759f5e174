// libtorch's thread settings are process-wide; run the tests of this assembly one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
