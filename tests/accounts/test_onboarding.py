import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse

from accounts.middleware import OnboardingRequiredMiddleware
from accounts.models import ExperienceLevel, UserType
from analytics.models import Event
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

VALID = {"user_type": "SOLO_BUILDER", "experience_level": "BEGINNER", "build_goal": "A booking app for my studio."}


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/dashboard/", "/onboarding/"),
        ("/course/", "/onboarding/?next=%2Fcourse%2F"),
        ("/lessons/abc123/?t=30", "/onboarding/?next=%2Flessons%2Fabc123%2F%3Ft%3D30"),
    ],
)
def test_learner_pages_send_a_new_learner_to_onboarding(client, new_user, path, location):
    client.force_login(new_user)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == location


def _through_middleware(rf, user, path, method="get"):
    """The middleware alone, so these checks do not depend on other apps' pages."""
    request = getattr(rf, method)(path)
    request.user = user
    return OnboardingRequiredMiddleware(lambda r: HttpResponse("the page"))(request)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/pricing/",
        "/account/",
        "/account/delete/",
        "/accounts/email/",
        "/accounts/logout/",
        "/onboarding/",
        "/healthz",
        "/billing/success/",
        "/emails/unsubscribe/abc/",
        "/static/css/site.css",
        "/admin/",
    ],
)
def test_account_public_and_machine_paths_stay_open_before_onboarding(rf, new_user, path):
    assert _through_middleware(rf, new_user, path).content == b"the page"


def test_posts_are_not_redirected(rf, new_user):
    assert _through_middleware(rf, new_user, "/lessons/abc123/complete/", method="post").content == b"the page"


def test_onboarded_learners_staff_and_visitors_are_not_redirected(rf, user):
    assert _through_middleware(rf, user, "/course/").content == b"the page"
    staff = UserFactory(admin=True, onboarding_complete=False)
    assert _through_middleware(rf, staff, "/course/").content == b"the page"
    assert _through_middleware(rf, AnonymousUser(), "/course/").content == b"the page"


def test_the_middleware_is_installed_after_authentication(settings):
    middleware = settings.MIDDLEWARE
    assert middleware.index("accounts.middleware.OnboardingRequiredMiddleware") > middleware.index(
        "config.middleware.CachedAuthenticationMiddleware"  # Django's, with the user from the cache
    )


def test_onboarding_needs_a_signed_in_user(client):
    response = client.get("/onboarding/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_onboarding_page_shows_the_seed_choices(client, new_user):
    client.force_login(new_user)
    body = client.get("/onboarding/").content.decode()
    for value, label in [*UserType.choices, *ExperienceLevel.choices]:
        assert f'value="{value}"' in body and label in body
    assert 'name="build_goal"' in body


def test_finishing_onboarding_saves_the_answers_and_records_the_event_once(client, new_user):
    client.force_login(new_user)

    response = client.post("/onboarding/", VALID)

    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    new_user.refresh_from_db()
    assert new_user.onboarding_complete
    assert (new_user.user_type, new_user.experience_level, new_user.build_goal) == (
        UserType.SOLO_BUILDER,
        ExperienceLevel.BEGINNER,
        "A booking app for my studio.",
    )
    event = Event.objects.get(user=new_user)
    assert event.event == "onboarding_completed"
    assert event.properties == {"user_type": "SOLO_BUILDER", "experience_level": "BEGINNER"}

    # Answering again later updates the answers without a second event.
    client.post("/onboarding/", {**VALID, "experience_level": "ADVANCED"})
    new_user.refresh_from_db()
    assert new_user.experience_level == ExperienceLevel.ADVANCED
    assert Event.objects.filter(event="onboarding_completed").count() == 1


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"user_type": "WIZARD"}, "Pick one of the options."),
        ({"experience_level": "GODLIKE"}, "Pick one of the options."),
        ({"user_type": ""}, "Pick the option that describes you best."),
        ({"experience_level": ""}, "Pick your experience level."),
        ({"build_goal": "   "}, "Tell us what you want to build."),
        ({"build_goal": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_onboarding_answers_are_refused_and_nothing_is_saved(client, new_user, override, message):
    client.force_login(new_user)

    response = client.post("/onboarding/", {**VALID, **override})

    assert response.status_code == 400
    assert message in response.content.decode()
    new_user.refresh_from_db()
    assert not new_user.onboarding_complete
    assert new_user.user_type is None and new_user.experience_level is None and new_user.build_goal is None
    assert not Event.objects.exists()


def test_onboarding_returns_to_a_local_next(client, new_user):
    client.force_login(new_user)
    assert 'name="next" value="/course/"' in client.get("/onboarding/?next=/course/").content.decode()
    response = client.post("/onboarding/", {**VALID, "next": "/course/"})
    assert response["Location"] == "/course/"


@pytest.mark.parametrize("forged", ["https://evil.example/", "//evil.example", "javascript:alert(1)", "http:///evil"])
def test_onboarding_never_redirects_off_site(client, new_user, forged):
    client.force_login(new_user)
    assert forged not in client.get("/onboarding/", {"next": forged}).content.decode()
    response = client.post("/onboarding/", {**VALID, "next": forged})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_onboarding_asks_an_optional_name_and_the_dashboard_greets_with_it(client, new_user):
    new_user.name = None
    new_user.save()
    client.force_login(new_user)
    page = client.get("/onboarding/").content.decode()
    assert "What should we call you?" in page and "Optional." in page
    answers = {"user_type": "SOLO_BUILDER", "experience_level": "BEGINNER", "build_goal": "A newsletter."}
    assert client.post("/onboarding/", {**answers, "name": "  Robin  "}).status_code == 302
    new_user.refresh_from_db()
    assert new_user.name == "Robin"
    dashboard = client.get("/dashboard/").content.decode()
    assert "Welcome, Robin" in dashboard and "Welcome back" not in dashboard  # a first visit
    # Answering again without a name keeps the one given.
    client.post("/onboarding/", answers)
    new_user.refresh_from_db()
    assert new_user.name == "Robin"
