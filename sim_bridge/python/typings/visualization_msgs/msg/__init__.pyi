import rospy
from geometry_msgs.msg import Point, Pose, Vector3
from std_msgs.msg import ColorRGBA, Header

class Marker:
    ARROW: int
    CUBE: int
    SPHERE: int
    CYLINDER: int
    LINE_STRIP: int
    LINE_LIST: int
    CUBE_LIST: int
    SPHERE_LIST: int
    POINTS: int
    TEXT_VIEW_FACING: int
    ADD: int
    MODIFY: int
    DELETE: int
    DELETEALL: int
    header: Header
    ns: str
    id: int
    type: int
    action: int
    pose: Pose
    scale: Vector3
    color: ColorRGBA
    lifetime: rospy.Duration
    frame_locked: bool
    points: list[Point]
    colors: list[ColorRGBA]
    text: str
    def __init__(
        self,
        *,
        header: Header = ...,
        ns: str = "",
        id: int = 0,
        type: int = 0,
        action: int = 0,
        pose: Pose = ...,
        scale: Vector3 = ...,
        color: ColorRGBA = ...,
        points: list[Point] = ...,
        colors: list[ColorRGBA] = ...,
        text: str = "",
    ) -> None: ...

class MarkerArray:
    markers: list[Marker]
    def __init__(self, *, markers: list[Marker] = ...) -> None: ...
