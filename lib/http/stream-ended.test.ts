import { failureOutcome } from '../pipeline/failure-outcome';
import { streamEndedError } from './stream-ended';

describe('streamEndedError', () => {
  it.each([
    { name: 'names the provider by its config id', providerId: 'claude-east', message: 'The upstream provider "claude-east" ended the stream before it was complete.' },
    { name: 'leaves the provider unnamed where the writer does not know it', providerId: undefined, message: 'The upstream provider ended the stream before it was complete.' },
    { name: 'leaves an empty id unnamed rather than quoting nothing', providerId: '', message: 'The upstream provider ended the stream before it was complete.' },
  ])('$name', ({ providerId, message }) => {
    // Act
    const error = streamEndedError(providerId);

    // Assess: a cut, as the books tell one (`interrupted`), a 502 to a client that has not had a byte.
    expect({ message: error.message, kind: error.kind, code: error.code, status: error.status, outcome: failureOutcome(error) }).toEqual({ message, kind: 'upstream_unavailable', code: 'upstream_interrupted', status: 502, outcome: 'interrupted' });
  });
});
