"""The words the sample data is made of: organisation types and their shares,
name patterns, regions, titles, topics, meeting kinds, actions and statuses."""

from meetings.models import Attendance, Meeting

# Organisation types of the data migration, with how common each is, and the
# words their sample names are made of.
TYPE_SHARES = {
    "ministry": 3,
    "government-agency": 18,
    "state-fund": 3,
    "project-office": 8,
    "integrator": 3,
    "donor": 5,
    "un-agency": 2,
    "international-organisation": 4,
    "ngo": 20,
    "academic": 10,
    "private-sector": 21,
    "other": 3,
}
SUBJECTS = [
    "Health",
    "Digital Technologies",
    "Finance",
    "Economy",
    "Statistics",
    "Medical Insurance",
    "Pharmaceuticals",
    "Public Health",
    "Innovation",
    "Education",
    "Mother and Child Health",
    "Emergency Care",
    "Data Protection",
    "Telemedicine",
    "Primary Care",
    "Laboratory Services",
]
NAME_PATTERNS = {
    "ministry": "Sample Ministry of {subject}",
    "government-agency": "Sample {subject} Agency",
    "state-fund": "Sample State {subject} Fund",
    "project-office": "Sample {subject} Project Office",
    "integrator": "Sample {subject} IT Integrator",
    "donor": "Sample {city} Development Bank",
    "un-agency": "Sample United Nations {subject} Programme",
    "international-organisation": "Sample International {subject} Organisation",
    "ngo": "Sample {subject} Association",
    "academic": "Sample {city} University of {subject}",
    "private-sector": "Sample {company}",
    "other": "Sample {subject} Centre",
}
CHILD_PATTERNS = [
    "Sample {region} Regional Office",
    "Sample Department of {subject}",
    "Sample {region} Branch",
    "Sample {subject} Unit",
]
REGIONS = [
    "Andijan",
    "Bukhara",
    "Fergana",
    "Jizzakh",
    "Karakalpakstan",
    "Kashkadarya",
    "Khorezm",
    "Namangan",
    "Navoiy",
    "Samarkand",
    "Surkhandarya",
    "Syrdarya",
    "Tashkent",
]
RUSSIAN_NAMES = [
    "Образец: организация",
    "Образец: министерство",
    "Образец: агентство",
    "Образец: центр",
]
UZBEK_NAMES = ["Namuna: tashkilot", "Namuna: vazirlik", "Namuna: agentlik"]
COUNTRIES = ["KZ", "KG", "TJ", "TM", "DE", "FR", "GB", "US", "JP", "KR", "CH", "TR"]
TITLES = [
    "Minister",
    "Deputy Minister",
    "Director",
    "Deputy Director",
    "Head of Department",
    "Chief Specialist",
    "Leading Specialist",
    "Programme Officer",
    "Project Coordinator",
    "Adviser",
    "Consultant",
    "IT Specialist",
    "Health Economist",
    "Data Analyst",
]
DEPARTMENTS = [
    "",
    "",
    "Digital Health",
    "International Relations",
    "Finance",
    "Statistics",
    "Procurement",
    "Information Systems",
    "Policy",
]
TOPICS = [
    "national health information system",
    "electronic medical records",
    "telemedicine",
    "personal data protection",
    "interoperability standards",
    "health insurance claims",
    "e-prescriptions",
    "laboratory information systems",
    "immunisation registry",
    "hospital information systems",
    "digital health strategy",
    "primary care digitalisation",
    "health workforce registry",
    "data centre hosting",
    "cybersecurity",
    "master patient index",
    "terminology services",
    "mobile health",
    "disease surveillance",
    "donor coordination",
]
MEETING_KINDS = [
    "coordination meeting",
    "working group",
    "technical consultation",
    "steering committee",
    "round table",
    "workshop",
    "briefing",
]
ACTIONS = [
    "Circulate the minutes",
    "Share the draft roadmap",
    "Send comments on the terms of reference",
    "Prepare a budget estimate",
    "Nominate a focal point",
    "Organise a follow-up workshop",
    "Provide the data request",
]


# What attendance rows say, by the status of the meeting: (statuses, weights).
ATTENDANCE_STATUSES = {
    Meeting.Status.PLANNED: (
        [
            Attendance.Status.INVITED,
            Attendance.Status.CONFIRMED,
            Attendance.Status.DECLINED,
        ],
        [60, 35, 5],
    ),
    Meeting.Status.CANCELLED: (
        [
            Attendance.Status.INVITED,
            Attendance.Status.CONFIRMED,
            Attendance.Status.DECLINED,
        ],
        [50, 30, 20],
    ),
    Meeting.Status.HELD: (
        [
            Attendance.Status.ATTENDED,
            Attendance.Status.ABSENT,
            Attendance.Status.DECLINED,
            Attendance.Status.CONFIRMED,
        ],
        [85, 5, 5, 5],
    ),
}
