from certification import workflow
from certification.workflow import Action, Status


def test_terminal_states_have_no_way_out():
    for moves in workflow.TRANSITIONS.values():
        assert not set(moves) & workflow.TERMINAL_STATES


def test_every_active_state_can_be_withdrawn():
    active = {s for s in Status if s not in workflow.TERMINAL_STATES}
    assert set(workflow.TRANSITIONS[Action.WITHDRAW]) == active


def test_the_happy_path_follows_the_seed_process():
    path = [Status.SUBMITTED]
    path.append(workflow.target_of(Action.START_REVIEW, path[-1]))
    path.append(workflow.target_of(Action.APPROVE, path[-1]))
    path.append(workflow.target_of(Action.PASS_CI, path[-1]))
    while path[-1] != Status.CERTIFIED:
        path.append(workflow.target_of(Action.APPROVE, path[-1]))
    assert path == [
        "submitted", "basic_review", "ci_setup", "release_review", "qa", "pm_ux", "certified",
    ]  # fmt: skip


def test_every_human_stage_has_a_checklist_and_roles():
    for stage in workflow.HUMAN_STAGES:
        assert workflow.CHECKLISTS[stage]
        assert workflow.STAGE_ROLES[stage]
    keys = [i.key for i in workflow.checklist_for(Status.RELEASE_REVIEW, as_security=True)]
    assert len(keys) == len(set(keys))
    assert "secrets_safe" in keys
