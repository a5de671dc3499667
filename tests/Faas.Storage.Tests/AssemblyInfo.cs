// One PostgreSQL serves every test; on a 2-core machine the tests run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
