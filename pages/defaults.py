"""The demo site content: what `seed_demo` writes, and what the landing page says until a row exists."""

DEMO_CONTENT = {
    "headline": "Build real software, one lesson at a time.",
    "tagline": (
        "A complete, practical course for builders: from your first deploy to getting paid. Short videos, "
        "written notes and worksheets you can keep. Your progress follows you on every device."
    ),
    "description": (
        "Syllabus is a self-paced video course for people who want to ship a real web product, not another "
        "tutorial app. You build one project from the first lesson to the last: a server-rendered site with "
        "accounts, a database that lasts, payments and the emails that keep customers around.\n\n"
        "Every lesson is a short video with written notes, so you can watch, skim or come back to the exact "
        "step you need. Worksheets turn each module into a checklist you can reuse on your own projects."
    ),
    "learn_points": "\n".join(
        [
            "Set up a development environment you understand, and deploy on day one",
            "Follow a request from the browser to the database and back",
            "Design tables, relations and constraints that keep your data correct",
            "Change a live schema with migrations, without downtime or fear",
            "Sell subscriptions with Stripe Checkout and handle webhooks safely",
            "Recover failed payments and send lifecycle emails people read",
        ]
    ),
    "instructor_name": "Maya Okafor",
    "instructor_role": "Software engineer and teacher",
    "instructor_bio": (
        "Maya has spent twelve years building and running web products, from two-person start-ups to payment "
        "systems handling millions of invoices a month. She teaches the way she mentors: small steps, real code, "
        "and the reasons behind every decision."
    ),
}

DEMO_TESTIMONIALS = [
    (
        "I'd started three side projects and finished none. This one is live and has paying customers.",
        "Priya N.",
        "Indie developer",
    ),
    ("The webhook lessons alone saved me a week of debugging at work.", "Tom B.", "Backend engineer"),
    ("Clear, calm and practical. The notes are the reference I keep coming back to.", "Lena K.", "Career switcher"),
]

DEMO_FAQ = [
    (
        "What do I get for free?",
        "Create a free account and watch the whole first lesson, notes included. No card needed.",
    ),
    (
        "What does the membership include?",
        "Every lesson in every module, the written notes, the downloadable worksheets and files, and your progress "
        "saved across devices. New lessons are included as they are published.",
    ),
    (
        "Can I cancel any time?",
        "Yes. Cancel from your account page in two clicks; you keep access until the end of the period you paid for.",
    ),
    (
        "Do you offer refunds?",
        "Yes. If the course isn't for you, ask within 90 days of subscribing and we'll refund your latest payment.",
    ),
    (
        "Do I need experience?",
        "You should be comfortable with the basics of one programming language. Everything else is explained "
        "from first principles.",
    ),
]
