// The integration tests each run a whole mesh; on a 2-core machine they run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
