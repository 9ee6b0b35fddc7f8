from django.contrib.auth import authenticate

from certification import demo
from certification.models import Finding, Submission
from certification.workflow import Status


def test_load_demo_fills_several_stages_and_is_idempotent(db, portal_keyring):
    summary = demo.load_demo()
    assert demo.DEMO_PASSWORD in summary
    stages = dict(
        Submission.objects.filter(plugin_id__startswith="com.example.demo-").values_list(
            "plugin_id", "status"
        )
    )
    assert stages == {
        "com.example.demo-weather": Status.BASIC_REVIEW,
        "com.example.demo-standup": Status.CHANGES_REQUESTED,
        "com.example.demo-polls": Status.CI_SETUP,
        "com.example.demo-jira-lite": Status.RELEASE_REVIEW,
        "com.example.demo-todo": Status.QA,
        "com.example.demo-giphy": Status.CERTIFIED,
    }
    # The scanners really found the hard-coded token of the release-review demo.
    leak = Finding.objects.get(submission__plugin_id="com.example.demo-jira-lite", blocking=True)
    assert leak.rule_id == "go-hardcoded-credential" and leak.file == "server/jira.go"
    assert authenticate(username="demo-security", password=demo.DEMO_PASSWORD) is not None
    demo.load_demo()
    assert Submission.objects.count() == 6
