def test_cast_builds_and_admin_sees_home(cast):
    response = cast.client(cast.admin_zhang).get("/")
    assert response.status_code == 200
    assert "三年级1班" in response.content.decode()
