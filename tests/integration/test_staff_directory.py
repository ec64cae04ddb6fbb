"""The staff directory over the stand-in's Cognito: a technician's phone and email, for his dispatch notice."""

from chalicelib.adapters.cognito import CognitoDirectory, add_staff
from chalicelib.domain.staff import StaffRole
from chalicelib.services.ports import StaffContact


def test_a_technicians_contact_details_are_read_from_his_account(aws):
    pool = aws["user_pool_id"]
    add_staff(pool, "tech-zhao", [StaffRole.TECHNICIAN], password="Test-pass-123")
    directory = CognitoDirectory(pool)
    assert directory.contact("tech-zhao") == StaffContact()
    directory = CognitoDirectory(pool)

    # Added again with details (an account made before they were known): they are kept.
    add_staff(pool, "tech-zhao", [StaffRole.TECHNICIAN], phone="+8613900001234", email="zhao@example.com")
    assert directory.contact("tech-zhao") == StaffContact(phone="+8613900001234", email="zhao@example.com")
    assert directory.contact("nobody") is None


def test_a_burst_reads_each_persons_contact_once_a_minute(aws):
    pool = aws["user_pool_id"]
    add_staff(pool, "tech-qian", [StaffRole.TECHNICIAN], password="Test-pass-123", phone="+8613900001111")
    now = [1000.0]
    directory = CognitoDirectory(pool, clock=lambda: now[0])
    assert directory.contact("tech-qian") == StaffContact(phone="+8613900001111")
    add_staff(pool, "tech-qian", [StaffRole.TECHNICIAN], phone="+8613900002222")
    now[0] += 59
    assert directory.contact("tech-qian") == StaffContact(phone="+8613900001111"), "the minute's answer serves"
    now[0] += 2
    assert directory.contact("tech-qian") == StaffContact(phone="+8613900002222"), "then it is read again"
