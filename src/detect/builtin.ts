/** The built-in detectors, one per folder under detectors/. */
import type { DetectorFactory } from './detector.js';
import backdoorWrite from './detectors/backdoor-write/index.js';
import destructive from './detectors/destructive/index.js';
import execWritten from './detectors/exec-written/index.js';
import instructionPoisoning from './detectors/instruction-poisoning/index.js';
import monitorTampering from './detectors/monitor-tampering/index.js';
import persistence from './detectors/persistence/index.js';
import policyViolation from './detectors/policy-violation/index.js';
import privilegeEscalation from './detectors/privilege-escalation/index.js';
import retryLoop from './detectors/retry-loop/index.js';
import secretExfil from './detectors/secret-exfil/index.js';
import suspiciousContent from './detectors/suspicious-content/index.js';
import testTampering from './detectors/test-tampering/index.js';
import unauthorizedEmail from './detectors/unauthorized-email/index.js';

export const BUILTIN_DETECTORS: DetectorFactory[] = [
  secretExfil,
  unauthorizedEmail,
  backdoorWrite,
  suspiciousContent,
  persistence,
  monitorTampering,
  privilegeEscalation,
  testTampering,
  destructive,
  execWritten,
  instructionPoisoning,
  retryLoop,
  policyViolation,
];
