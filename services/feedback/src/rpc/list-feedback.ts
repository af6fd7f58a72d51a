// ListFeedback: the feedback on one inference or one episode of the tenant, oldest first.
import type { feedback } from '@keel/contracts';
import { type Principal, actingTenant } from '@keel/kit';
import { targetOf } from '../domain/submission';
import { listFeedback } from '../store/feedback';
import type { FeedbackDeps } from './deps';

export async function listFeedbackRpc(
  deps: FeedbackDeps,
  principal: Principal,
  request: feedback.ListFeedbackRequest,
): Promise<feedback.ListFeedbackResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  return { feedback: await listFeedback(deps.feedback, tenantId, targetOf(request)) };
}
