// The official conformance suite against an SDK v2 upstream that speaks both eras (test/fixtures/
// upstream/conformance-server.ts), directly and through the gateway (test/helpers/conformance-run.ts).
import { describeConformance } from '../../helpers/conformance-run.js';

describeConformance('2025-06-18');
