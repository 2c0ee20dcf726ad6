import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { chosenPartition, recordingPartitioner } from './kafka-options.js';

function partitions(count: number): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
}

describe('recordingPartitioner', () => {
  const keys = [
    'a',
    'jane',
    '01a20f37-ee53-7168-a25d-da8f93a4ac54',
    'x'.repeat(64),
  ];

  it('chooses what kafkajs’s default partitioner chooses, and notes it on the message', () => {
    const recording = recordingPartitioner();
    const murmur2 = Partitioners.DefaultPartitioner();
    for (const count of [1, 3, 7]) {
      for (const key of keys) {
        const args = {
          topic: 't',
          partitionMetadata: partitions(count),
          message: { key, value: 'v' },
        };
        const chosen = recording(args);
        expect(chosen).toBe(murmur2({ ...args, message: { key, value: 'v' } }));
        expect(chosenPartition(args.message)).toBe(chosen);
      }
    }
  });
});
