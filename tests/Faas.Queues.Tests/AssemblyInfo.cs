// The queue tests start servers of their own (Garnet, redis-server); on a 2-core machine they run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
