"""The staff directory over the stand-in's Cognito: a technician's phone and email, for his dispatch notice."""

from chalicelib.adapters.cognito import CognitoDirectory, add_staff
from chalicelib.domain.staff import StaffRole
from chalicelib.services.ports import StaffContact


def test_a_technicians_contact_details_are_read_from_his_account(aws):
    pool = aws["user_pool_id"]
    add_staff(pool, "tech-zhao", [StaffRole.TECHNICIAN], password="Test-pass-123")
    directory = CognitoDirectory(pool)
    assert directory.contact("tech-zhao") == StaffContact()

    # Added again with details (an account made before they were known): they are kept.
    add_staff(pool, "tech-zhao", [StaffRole.TECHNICIAN], phone="+8613900001234", email="zhao@example.com")
    assert directory.contact("tech-zhao") == StaffContact(phone="+8613900001234", email="zhao@example.com")
    assert directory.contact("nobody") is None
